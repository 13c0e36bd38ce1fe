"""What a running service imports: never Alembic, which only migrations need (vcio dev and the deploy's init
containers migrate in processes of their own). Each service's process is smaller by it."""

import subprocess
import sys

from vcio_shared.settings import SERVICES


def test_no_service_imports_alembic_to_run() -> None:
    mains = ", ".join(f"{service}.main" for service in SERVICES)
    code = f"import sys, {mains}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_httpcore_finds_sniffio() -> None:
    """httpcore imports sniffio on every lock it creates (each request takes several); anyio no longer installs it,
    and a failed import is not cached, so each one searched sys.path again: about 1 ms of CPU per httpx request."""
    import importlib.util

    assert importlib.util.find_spec("sniffio") is not None
