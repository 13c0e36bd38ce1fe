"""Test support for the integrations suite: a handle on the running service and on the receiver process
(conftest.py puts this directory on sys.path, as import-mode=importlib adds none)."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from vcio_shared.clock import FixedClock
from vcio_shared.embedded import free_port
from vcio_shared.runtime import Runtime
from vcio_shared.testing import auth

# A fixed Fernet key (32 bytes, url-safe base64): tests only.
TEST_SECRETS_KEY = "dGVzdC1rZXktZm9yLXRoZS12Y2lvLXN1aXRlLTAwMDA="
START = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
RECEIVER = Path(__file__).with_name("receiver.py")
Publish = Callable[..., Any]


@dataclass
class Service:
    http: httpx.AsyncClient
    runtime: Runtime
    clock: FixedClock

    async def endpoint(self, url: str, tenant: str = "tenant-a", **fields: Any) -> dict[str, Any]:
        r = await self.http.post("/v1/webhook-endpoints", json={"url": url, **fields}, headers=auth(tenant))
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def deliveries(self, endpoint_id: str, tenant: str = "tenant-a", **params: str) -> list[dict[str, Any]]:
        r = await self.http.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", params=params, headers=auth(tenant))
        assert r.status_code == 200, r.text
        return r.json()["items"]  # type: ignore[no-any-return]


class Receiver:
    """The receiver process's handle."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/hook"

    def control(self, **state: Any) -> None:
        httpx.post(f"{self.base}/_control", json=state).raise_for_status()

    def received(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.base}/_received").json()  # type: ignore[no-any-return]


@contextlib.contextmanager
def receiver_process() -> Iterator[Receiver]:
    """A receiver process on a free port, answering once it is up; killed on exit (also for tests/, which put
    this directory on sys.path to use it)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(RECEIVER), str(port)])
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/_received", timeout=0.2)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield Receiver(port)
    finally:
        process.kill()
        process.wait()
