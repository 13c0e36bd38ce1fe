"""`make run` (vcio dev): embedded servers, data kept across a restart, nothing left running after a stop."""

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from vcio_cli.dev import Platform
from vcio_shared.embedded import free_port
from vcio_shared.settings import SERVICES
from vcio_shared.testing import TEST_SECRET, auth

PACKAGE = {
    "name": "Kept",
    "currency": "EUR",
    "monthly_price": "2500.00",
    "billing_cycle": "quarterly",
    "term_months": 24,
    "activities": [
        {
            "name": "Quarterly business review",
            "category": "account_management",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=MONTHLY;INTERVAL=3",
            "role": "account_manager",
            "effort_hours": "3",
        }
    ],
}


def _environ(data_dir: Path, ports: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "NATS_URL"}
    env.update(ports)
    env.update({"VCIO_JWT_SECRET": TEST_SECRET, "VCIO_DATA_DIR": str(data_dir)})
    return env


def _children_alive(platform: Any) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(platform.data_dir) in line and "ps -eo" not in line]


def test_a_restart_keeps_every_row_and_a_stop_leaves_no_process(tmp_path: Path) -> None:
    data_dir = tmp_path / "vcio"
    ports = {f"{s.upper()}_PORT": str(free_port()) for s in SERVICES}
    ports.update({"VCIO_NATS_PORT": str(free_port()), "VCIO_PG_PORT": str(free_port())})
    tmp_path.chmod(0o755)

    first = Platform(data_dir=data_dir, environ=_environ(data_dir, ports), quiet=True)
    started = time.monotonic()
    first.start(tenant="t")
    cold = time.monotonic() - started
    try:
        with httpx.Client(timeout=30) as http:
            created = http.post(f"{first.url('catalog')}/v1/packages", json=PACKAGE, headers=auth("keep"))
            assert created.status_code == 201, created.text
    finally:
        first.stop()
    assert _children_alive(first) == []

    second = Platform(data_dir=data_dir, environ=_environ(data_dir, ports), quiet=True)
    started = time.monotonic()
    second.start(tenant="t")
    warm = time.monotonic() - started
    try:
        with httpx.Client(timeout=30) as http:
            again = http.get(f"{second.url('catalog')}/v1/packages/{created.json()['id']}", headers=auth("keep"))
            assert again.status_code == 200
            assert (again.json()["name"], again.json()["monthly_price"], again.json()["contract_value"]) == (
                "Kept",
                "2500.00",
                "60000.00",
            )
    finally:
        second.stop()
    assert _children_alive(second) == []
    print(f"vcio dev: first start {cold:.1f}s (initdb, migrations), restart {warm:.1f}s")
    assert warm < 30
