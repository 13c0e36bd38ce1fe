"""Sending: any replica claims due deliveries (SKIP LOCKED + a lease), POSTs them signed, and records the answer.

Concurrency is bounded per endpoint (one slow receiver does not hold every other one back) and in all."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import email.utils
import functools
import random
import time
from collections import defaultdict
from typing import Any

import httpx
import structlog
from prometheus_client import Counter, Histogram

from integrations.deliveries import repository as repo
from integrations.deliveries import service
from integrations.deliveries.repository import DELIVERIES_WRITTEN
from integrations.deliveries.service import Outcome
from integrations.deliveries.signing import headers
from integrations.endpoints import guard
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

TIMEOUT_S = 15.0
MAX_ANSWER_BYTES = 4096
LEASE = dt.timedelta(seconds=45)  # a wait for a slot and an attempt (15 s each) fit in it: see Sender
ATTEMPT_ROOM = dt.timedelta(seconds=TIMEOUT_S + 5)  # less lease left than this at a slot: leased again first
PER_ENDPOINT = 16
CLAIM_BATCH = 256
MAX_IN_FLIGHT = 512
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
    """The sending loop of one replica: a pipeline, not rounds. It claims due rows while it has room (MAX_IN_FLIGHT);
    each row is sent and recorded on its own, and a finished send or a commit that made deliveries claims again:
    a slow endpoint holds back only its own rows. An endpoint with 2 x PER_ENDPOINT rows here is not claimed
    for, so a claimed row mostly waits at most one attempt for its slot and its lease (45 s) outlives the wait
    (15 s) and its own attempt (15 s). One claim may still take more of an endpoint's rows (up to CLAIM_BATCH):
    a row that waited so long for its slot that its lease could end during its attempt is leased again first,
    or dropped if its lease had ended and another replica has taken it (it would otherwise go twice)."""

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
        self._held: collections.Counter[Any] = collections.Counter()  # rows claimed and not yet recorded, per endpoint
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._delivered: list[tuple[Any, Outcome, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Send what is due, forever; when nothing is, wait for a wake-up or a short poll."""
        try:
            await self._pipeline()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.client.aclose()

    async def _pipeline(self) -> None:
        while True:
            claimed: list[asyncio.Task[None]] = []
            room = MAX_IN_FLIGHT - len(self._tasks)
            if room > 0:
                try:
                    claimed = await self._claim(min(room, CLAIM_BATCH))
                except Exception as exc:
                    log.warning("claiming deliveries failed", error=str(exc) or type(exc).__name__)
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
                self._wake.clear()

    async def run_once(self) -> int:
        """Claim what is due and wait for those sends; the number attempted (tests use it to look once)."""
        tasks = await self._claim(CLAIM_BATCH)
        await asyncio.gather(*tasks, return_exceptions=True)
        return len(tasks)

    async def _claim(self, limit: int) -> list[asyncio.Task[None]]:
        """Lease up to `limit` due rows and start sending each; the tasks started."""
        now = self.runtime.clock.now()
        full = [e for e, n in self._held.items() if n >= 2 * PER_ENDPOINT]
        async with self.runtime.sessionmaker() as session, session.begin():
            claimed = await repo.claim_due(session, now, LEASE, limit, skip_endpoints=full)
        tasks = []
        for row, endpoint in claimed:
            self._held[row["endpoint_id"]] += 1
            task = asyncio.create_task(self._send(row, endpoint))
            task.add_done_callback(functools.partial(self._finished, endpoint_id=row["endpoint_id"]))
            self._tasks.add(task)
            tasks.append(task)
        return tasks

    def _finished(self, task: asyncio.Task[None], endpoint_id: Any) -> None:
        self._tasks.discard(task)
        self._held[endpoint_id] -= 1
        if self._held[endpoint_id] <= 0:
            del self._held[endpoint_id]
        if not task.cancelled() and task.exception() is not None:  # its lease runs out; it is tried again
            log.warning("a delivery could not be recorded", error=repr(task.exception())[:300])
        self._wake.set()

    async def _send(self, delivery: dict[str, Any], endpoint: Any) -> None:
        async with self._slots[endpoint["id"]]:
            if not await self._lease_holds(delivery):
                return
            outcome = await self.attempt(delivery, endpoint)
        LATENCY.observe(outcome.duration_ms / 1000)
        if outcome.delivered:  # group commit: one transaction for every success that is waiting
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._delivered.append((delivery, outcome, done))
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.create_task(self._flush())
            await done
            return
        async with self.runtime.sessionmaker() as session, session.begin():
            result = await service.record(session, delivery, outcome, self.rng)
        {"delivered": DELIVERED, "failed": FAILED, "retried": RETRIED}[result].inc()

    async def _lease_holds(self, delivery: dict[str, Any]) -> bool:
        """Whether this replica may send the row now: yes while its lease has room for an attempt; else the row
        is leased again, on the condition that it still holds the lease it was claimed with."""
        now = self.runtime.clock.now()
        if delivery["lease_until"] - now >= ATTEMPT_ROOM:
            return True
        async with self.runtime.sessionmaker() as session, session.begin():
            renewed = await repo.renew_lease(session, delivery["id"], delivery["lease_until"], now + LEASE)
        if renewed is None:
            log.info("a delivery waited past its lease and another replica has it", delivery_id=str(delivery["id"]))
            return False
        delivery["lease_until"] = renewed  # the answer is recorded under the new lease
        return True

    async def _flush(self) -> None:
        """Record the successes waiting, a batch per transaction, until none is left. A batch that cannot be
        written fails its senders' tasks: their leases run out and they are sent again."""
        while self._delivered:
            batch, self._delivered = self._delivered, []
            try:
                async with self.runtime.sessionmaker() as session, session.begin():
                    await service.record_delivered(session, [(d, o) for d, o, _ in batch])
            except Exception as exc:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            DELIVERED.inc(len(batch))
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def attempt(self, delivery: Any, endpoint: Any) -> Outcome:
        """One POST of the event's bytes, signed now; what it got."""
        now = self.runtime.clock.now()
        started = time.perf_counter()
        try:  # again: the name may resolve elsewhere now; the connection goes to the address checked
            where = await guard.target(endpoint["url"], self.allow_private)
        except guard.UnsafeUrl as exc:
            return Outcome(now, None, 0, f"refused: {exc}")
        body = bytes(delivery["payload"])
        secrets = signing_secrets(endpoint, self.vault, now)
        # webhook-timestamp is the wall clock's: the receiver checks it against its own clock (5 minutes).
        sent = {**headers(secrets, delivery["event_id"], dt.datetime.now(dt.UTC), body), **where.headers}
        try:
            request = self.client.build_request("POST", where.url, content=body, headers=sent)
            request.extensions.update(where.extensions)
            response = await self.client.send(request, stream=True)
            try:
                answer = await _read_some(response)
            finally:
                await response.aclose()
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


async def start_sender(runtime: Runtime) -> None:
    """on_startup: this replica's sending loop, stopped with the runtime's other tasks."""
    from integrations.deps import vault_of

    sender = Sender(runtime, vault_of(runtime))
    runtime.extras["sender"] = sender
    runtime.wake_on_commit(DELIVERIES_WRITTEN, sender.wake)  # a commit that made deliveries (other replicas poll)
    runtime.spawn(sender.run(), name="webhooks:sender")
