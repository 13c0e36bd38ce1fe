"""`make test` alone passes on a fresh machine: it installs the Debian packages the suite needs itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_make_test_installs_system_packages_before_running_the_suite() -> None:
    plan = subprocess.run(["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = plan.splitlines()
    deps = next(i for i, line in enumerate(lines) if line.strip() == "bash scripts/system-deps")
    suite = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert deps < suite


def test_system_deps_covers_what_the_browser_and_pdf_tests_use() -> None:
    script = (ROOT / "scripts" / "system-deps").read_text()
    for package in ("chromium", "poppler-utils", "fonts-dejavu-core", "libpango-1.0-0"):
        assert f"need+=({package}" in script


def test_ci_runs_only_the_readme_test_command() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    assert "apt-get" not in run
    assert run.strip().splitlines()[-1] == "make test"
