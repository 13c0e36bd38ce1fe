"""A real strategy process (uvicorn, the test's PostgreSQL and NATS) and Debian's chromium, for the browser tests."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from vcio_shared.embedded import free_port, wait_for_port
from vcio_shared.testing import TEST_SECRET

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextlib.contextmanager
def strategy_server(database_url: str, nats_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "STRATEGY_DATABASE_URL": database_url,
        "NATS_URL": nats_url,
        "VCIO_JWT_SECRET": TEST_SECRET,
        "VCIO_PUBLIC_BASE_URL": base,
        "VCIO_LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "uvicorn.log").open("wb")
    command = [sys.executable, "-m", "uvicorn", "--factory", "strategy.main:build_app", "--host", "127.0.0.1"]
    proc = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, 30, proc)
        yield base
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
        log.close()
