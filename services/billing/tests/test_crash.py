"""kill -9 a real uvicorn process in the middle of a billing run, restart it, rerun: one invoice per period."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import nats
import psycopg
import pytest
from billing_helpers import seed, stream_events

from vcio_shared.events import CloudEvent
from vcio_shared.settings import to_driver_url
from vcio_shared.testing import TEST_SECRET, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_billing(database_url: str, nats_url: str, port: int) -> subprocess.Popen:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process it logs
    env = {
        **os.environ,
        "BILLING_DATABASE_URL": database_url,
        "NATS_URL": nats_url,
        "VCIO_JWT_SECRET": TEST_SECRET,
        "BILLING_RUN_CHUNK_SIZE": "50",
        "VCIO_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "billing.main:build_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120  # generous: the machine is shared with the other services' suites
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"billing exited with {proc.returncode}: {_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"billing did not start: {_tail(log)}")


def _tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute(sql).fetchone()[0])


def wait_until_drained(url: str, timeout: float = 60) -> None:
    """Wait until the relay has published (and so deleted) every outbox row."""
    deadline = time.monotonic() + timeout
    while count(url, "SELECT count(*) FROM outbox"):
        assert time.monotonic() < deadline, f"outbox not drained within {timeout}s"
        time.sleep(0.05)


async def issued_in_stream(nats_url: str) -> list[CloudEvent]:
    nc = await nats.connect(nats_url)
    try:
        return await stream_events(nc.jetstream(), "vcio.billing.invoice.issued")
    finally:
        await nc.close()


@pytest.mark.slow
def test_kill_9_mid_run_then_rerun_leaves_exactly_one_invoice_per_period(database_factory, nats_url) -> None:
    database_url = database_factory("billing")
    plain = to_driver_url(database_url, "psycopg").replace("postgresql+psycopg", "postgresql")
    seed(database_url, 2000)
    headers = {"Authorization": f"Bearer {token('tenant-a')}"}
    port = free_port()
    port = free_port()
    proc = start_billing(database_url, nats_url, port)
    try:
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/billing-runs",
            json={"as_of": "2027-03-01", "background": True},
            headers=headers,
            timeout=10,
        )
        assert r.status_code == 202
        deadline = time.monotonic() + 30
        while count(plain, "SELECT count(*) FROM invoices") == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    partial = count(plain, "SELECT count(*) FROM invoices")
    assert 0 < partial < 6000, partial  # killed mid-run: some chunks committed, not all
    assert partial % 150 == 0  # whole chunks only (50 agreements × 3 periods): nothing half-written
    port = free_port()
    proc = start_billing(database_url, nats_url, port)
    try:
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/billing-runs", json={"as_of": "2027-03-01"}, headers=headers, timeout=120
        )
        assert r.status_code == 201, r.text
        assert r.json()["invoices_created"] == 6000 - partial
        wait_until_drained(plain)  # the relay deletes what JetStream acked: the stream is the event log
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert count(plain, "SELECT count(*) FROM invoices") == 6000
    assert count(plain, "SELECT count(DISTINCT (agreement_id, period_start)) FROM invoices") == 6000
    # one invoice.issued per invoice, exactly once: the killed process's unacked events went again from the
    # outbox and its acked-but-not-deleted ones were dropped by the stream's duplicate window (Nats-Msg-Id)
    issued = asyncio.run(issued_in_stream(nats_url))
    assert len(issued) == 6000
    with psycopg.connect(plain) as conn:
        invoices = {str(i): n for i, n in conn.execute("SELECT id, number FROM invoices").fetchall()}
    assert {e.subject: e.data["number"] for e in issued} == invoices
    numbers = count(
        plain,
        "SELECT count(DISTINCT number) FROM invoices WHERE number BETWEEN 'INV-2027-000001' AND 'INV-2027-006000'",
    )
    assert numbers == 6000  # gapless: exactly 1..6000
