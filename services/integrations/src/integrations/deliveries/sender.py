"""Sending: any replica claims due deliveries (SKIP LOCKED + a lease), POSTs them signed, and records the answer.

Concurrency is bounded per endpoint (one slow receiver does not hold every other one back) and in all."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import random
import time
from collections import defaultdict
from typing import Any

import httpx
import sqlalchemy as sa
import structlog
from prometheus_client import Counter, Histogram

from integrations.deliveries import repository as repo
from integrations.deliveries import service
from integrations.deliveries.service import Outcome
from integrations.deliveries.signing import headers
from integrations.endpoints import guard
from integrations.endpoints.repository import endpoints
from integrations.endpoints.secrets import Vault
from integrations.endpoints.service import signing_secrets
from vcio_shared.runtime import Runtime

log = structlog.get_logger("vcio.webhooks")

DELIVERED = Counter("vcio_webhooks_delivered_total", "Webhook messages delivered (a 2xx answer)")
FAILED = Counter("vcio_webhooks_failed_total", "Webhook messages given up on (schedule spent, or 410)")
RETRIED = Counter("vcio_webhooks_retried_total", "Webhook attempts that failed and were scheduled again")
LATENCY = Histogram(
    "vcio_webhooks_attempt_seconds",
    "Duration of one webhook attempt",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)

# The senders of this process: a commit that made deliveries wakes them (other replicas find them by polling).
SENDERS: set[Sender] = set()

TIMEOUT_S = 15.0
MAX_ANSWER_BYTES = 4096
LEASE = dt.timedelta(seconds=20)  # longer than an attempt can take (15 s), so a live sender keeps its rows
PER_ENDPOINT = 16
CLAIM_BATCH = 256
IDLE_POLL_S = 0.05


def retry_after(response: httpx.Response, now: dt.datetime) -> dt.timedelta | None:
    """The wait a 429 or 503 asks for (seconds or an HTTP date), or None."""
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return dt.timedelta(seconds=int(value))
    with contextlib.suppress(TypeError, ValueError):
        return max(email.utils.parsedate_to_datetime(value) - now, dt.timedelta(0))
    return None


async def _read_some(response: httpx.Response) -> bytes:
    """At most MAX_ANSWER_BYTES of the answer's body; the rest is never read."""
    got = b""
    async for chunk in response.aiter_raw():
        got += chunk
        if len(got) >= MAX_ANSWER_BYTES:
            break
    return got[:MAX_ANSWER_BYTES]


class Sender:
    """The sending loop of one replica."""

    def __init__(self, runtime: Runtime, vault: Vault, rng: random.Random | None = None) -> None:
        self.runtime = runtime
        self.vault = vault
        self.rng = rng or random.Random()
        self.allow_private = runtime.settings.webhooks_allow_private
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=TIMEOUT_S,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )
        self._slots: defaultdict[Any, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_ENDPOINT))
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Send what is due, forever; between rounds, wait for a wake-up or a short poll."""
        try:
            await self._rounds()
        finally:
            SENDERS.discard(self)
            await self.client.aclose()

    async def _rounds(self) -> None:
        while True:
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("sending round failed", error=str(exc) or type(exc).__name__)
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
                self._wake.clear()

    async def run_once(self) -> int:
        """Claim the due deliveries and send them all; the number attempted."""
        now = self.runtime.clock.now()
        async with self.runtime.sessionmaker() as session, session.begin():
            claimed = await repo.claim_due(session, now, LEASE, CLAIM_BATCH)
            if not claimed:
                return 0
            ids = {row["endpoint_id"] for row in claimed}
            rows = (await session.execute(sa.select(endpoints).where(endpoints.c.id.in_(ids)))).mappings().all()
        by_id = {row["id"]: row for row in rows}
        await asyncio.gather(*(self._send(row, by_id[row["endpoint_id"]]) for row in claimed))
        return len(claimed)

    async def _send(self, delivery: Any, endpoint: Any) -> None:
        async with self._slots[endpoint["id"]]:
            outcome = await self.attempt(delivery, endpoint)
        async with self.runtime.sessionmaker() as session, session.begin():
            result = await service.record(session, delivery, outcome, self.rng)
        LATENCY.observe(outcome.duration_ms / 1000)
        {"delivered": DELIVERED, "failed": FAILED, "retried": RETRIED}[result].inc()

    async def attempt(self, delivery: Any, endpoint: Any) -> Outcome:
        """One POST of the event's bytes, signed now; what it got."""
        now = self.runtime.clock.now()
        started = time.perf_counter()
        try:
            await guard.check(endpoint["url"], self.allow_private)  # again: the name may resolve elsewhere now
        except guard.UnsafeUrl as exc:
            return Outcome(now, None, 0, f"refused: {exc}")
        body = bytes(delivery["payload"])
        secrets = signing_secrets(endpoint, self.vault, now)
        # webhook-timestamp is the wall clock's: the receiver checks it against its own clock (5 minutes).
        sent = headers(secrets, delivery["event_id"], dt.datetime.now(dt.UTC), body)
        try:
            async with self.client.stream("POST", endpoint["url"], content=body, headers=sent) as response:
                answer = await _read_some(response)
        except httpx.HTTPError as exc:
            elapsed = round((time.perf_counter() - started) * 1000)
            return Outcome(now, None, elapsed, f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)
        elapsed = round((time.perf_counter() - started) * 1000)
        if 200 <= response.status_code < 300:
            return Outcome(now, response.status_code, elapsed, None)
        error = f"HTTP {response.status_code}"
        if 300 <= response.status_code < 400:
            error += " (redirects are not followed)"
        text = answer.decode(errors="replace").strip()
        return Outcome(
            now, response.status_code, elapsed, f"{error}: {text[:300]}" if text else error, retry_after(response, now)
        )


def wake_senders() -> None:
    """Wake this process's senders now (after a commit that made deliveries), rather than at their next poll."""
    for sender in SENDERS:
        sender.wake()


async def start_sender(runtime: Runtime) -> None:
    """on_startup: this replica's sending loop, stopped with the runtime's other tasks."""
    from integrations.deps import vault_of

    sender = Sender(runtime, vault_of(runtime))
    runtime.extras["sender"] = sender
    SENDERS.add(sender)
    runtime._tasks.append(asyncio.create_task(sender.run(), name="webhooks:sender"))
