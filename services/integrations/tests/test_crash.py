"""kill -9 of a real integrations process mid-delivery: after a restart nothing is lost, and what arrives twice is
the same message under the same webhook-id (Standard Webhooks' at-least-once)."""

import collections
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import httpx
import orjson
import psycopg
import pytest
from integrations_helpers import TEST_SECRETS_KEY, Publish, Receiver

from vcio_shared.embedded import free_port
from vcio_shared.testing import TEST_SECRET, auth, eventually


def start(database_url: str, nats_url: str, port: int) -> subprocess.Popen[bytes]:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process it logs
    env = {
        **os.environ,
        "INTEGRATIONS_DATABASE_URL": database_url,
        "NATS_URL": nats_url,
        "VCIO_JWT_SECRET": TEST_SECRET,
        "VCIO_SECRETS_KEY": TEST_SECRETS_KEY,
        "VCIO_WEBHOOKS_ALLOW_PRIVATE": "1",
        "VCIO_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "integrations.main:build_app", "--port", str(port)]
    proc = subprocess.Popen([*command, "--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise AssertionError(f"integrations exited with {proc.returncode}: {log.read()[-2000:]!r}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("integrations did not start")


def delivered(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'").fetchone()[0])


@pytest.mark.slow
async def test_kill_9_mid_delivery_loses_nothing_and_repeats_only_the_same_webhook_id(
    database_factory: Callable[[str], str], nats_url: str, streams: None, receiver: Receiver, publish: Publish
) -> None:
    url = database_factory("integrations")
    port = free_port()
    proc = start(url, nats_url, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            r = await http.post("/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth())
            assert r.status_code == 201, r.text
        receiver.control(secrets=[r.json()["secret"]], delay=0.3)
        sent = [await publish("vcio.billing.invoice.paid", {"invoice_id": f"i-{n}"}) for n in range(40)]
        await eventually(lambda: len(receiver.received()) >= 5, timeout=60)
        proc.send_signal(signal.SIGKILL)  # mid-delivery: answers are still on their way
        proc.wait()
        sent += [await publish("vcio.billing.invoice.issued", {"invoice_id": f"j-{n}"}) for n in range(10)]
        receiver.control(delay=0.0)
        proc = start(url, nats_url, port)
        # The dead replica's leases run out (45 s), then its claimed deliveries go out again.
        await eventually(lambda: delivered(url) == 50, timeout=120)
    finally:
        proc.kill()
        proc.wait()
    got = receiver.received()
    bodies: dict[str, set[str]] = collections.defaultdict(set)
    for arrival in got:
        bodies[arrival["headers"]["webhook-id"]].add(arrival["body"])
        assert arrival["verified_with"] == [0]
    assert sorted(bodies) == sorted(orjson.loads(p)["id"] for p in sent)  # nothing lost
    assert all(len(b) == 1 for b in bodies.values())  # a repeat is the very same message
    repeats = len(got) - len(bodies)
    assert 0 <= repeats <= 16  # at most what one replica had in flight to this endpoint (PER_ENDPOINT)
    print({"arrivals": len(got), "messages": len(bodies), "repeats": repeats})
