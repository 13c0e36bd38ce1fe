"""NATS JetStream: the connection, streams, the outbox relay and the durable pull consumer runner."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import nats
import sqlalchemy as sa
import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, PubAck, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vcio_shared.errors import database_unavailable
from vcio_shared.events import CloudEvent, EventDecodeError, decode
from vcio_shared.ids import uuid7
from vcio_shared.logging import set_traceparent
from vcio_shared.metrics import EVENTS_CONSUMED, EVENTS_DEAD, EVENTS_PUBLISHED, JETSTREAM_REFUSALS

log = structlog.get_logger("vcio.bus")
DUPLICATE_WINDOW_S = 120.0

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


class PoisonEvent(Exception):
    """Raised by a handler for an event that can never succeed: it goes to the dead-letter table at once."""


class ReplayFailed(Exception):
    """A dead letter's handler failed again; the dead letter stays, with the new error."""


TRANSIENT = (OperationalError, InterfaceError, OSError, asyncio.TimeoutError, ConnectionError)


async def cancel_and_wait(task: asyncio.Task[None] | None, timeout: float = 3.0) -> None:
    """Cancel a background task and wait a bounded time: nats-py's fetch can swallow a cancellation."""
    if task is None or task.done():
        return
    task.cancel()
    await asyncio.wait([task], timeout=timeout)


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait for an event at most `timeout` seconds (asyncio.timeout: wait_for can lose a cancellation on 3.11)."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
        return True
    except TimeoutError:
        return False


def stream_name(service: str) -> str:
    return service.upper()


class Bus:
    """One NATS connection per process, kept alive across server restarts."""

    def __init__(self, url: str, service: str, *, name: str | None = None, replicas: int = 1) -> None:
        self.url = url
        self.replicas = replicas
        self.service = service
        self.nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self.generation = 0  # bumped on every (re)connect, so consumers know to re-subscribe
        self._task: asyncio.Task[None] | None = None
        self._name = name or f"vcio-{service}"
        self.connected = asyncio.Event()

    @property
    def js(self) -> JetStreamContext:
        if self._js is None or self.nc is None or not self.nc.is_connected:
            raise ConnectionError("NATS is not connected")
        return self._js

    @property
    def is_connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def wait_connected(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the connection; True once it is up.

        nats-py marks the connection down before its disconnected callback (which clears `connected`) gets to
        run. In between, waiting on the still-set event would return at once without yielding, and a loop
        around it would spin forever: the callback and the reconnect never run (a relay child did this, and
        piled up gigabytes of cancelled timers). So in that window this sleeps a little instead."""
        if self.is_connected:
            return True
        if self.connected.is_set():
            await asyncio.sleep(0.05)
            return self.is_connected
        return await wait_event(self.connected, timeout)

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name="nats-connect")

    async def _connect_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                self.nc = await nats.connect(
                    self.url,
                    name=self._name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    allow_reconnect=True,
                    ping_interval=5,
                    max_outstanding_pings=2,
                    reconnected_cb=self._on_reconnect,
                    disconnected_cb=self._on_disconnect,
                    error_cb=self._on_error,
                )
                self._js = self.nc.jetstream(timeout=5)
                await self.ensure_own_stream()
                self.generation += 1
                self.connected.set()
                log.info("nats connected", url=_redact(self.url))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # server not up yet: keep trying, readiness says so meanwhile
                log.warning("nats connect failed", error=str(exc) or type(exc).__name__)
                if self.nc is not None:
                    with contextlib.suppress(Exception):
                        await self.nc.close()
                    self.nc = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _on_reconnect(self) -> None:
        try:
            await self.ensure_own_stream()
        except Exception as exc:
            log.warning("stream check after reconnect failed", error=str(exc))
        self.generation += 1
        self.connected.set()
        log.info("nats reconnected")

    async def _on_disconnect(self) -> None:
        self.connected.clear()
        log.warning("nats disconnected")

    async def _on_error(self, exc: Exception) -> None:
        if isinstance(exc, APIError):  # a JetStream refusal (a publish_async's, which nats-py reports only here)
            JETSTREAM_REFUSALS.inc()
            log.warning("jetstream refused a request", error=str(exc))
        else:
            log.debug("nats error", error=str(exc) or type(exc).__name__)

    async def ensure_own_stream(self) -> None:
        """Create or update this service's stream: file storage, a 2-minute duplicate window."""
        assert self._js is not None
        config = StreamConfig(
            name=stream_name(self.service),
            subjects=[f"vcio.{self.service}.>"],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_S,
            num_replicas=self.replicas,
        )
        try:
            await self._js.add_stream(config)
        except Exception:
            await self._js.update_stream(config)

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        if self.nc is not None:
            # close, not drain: every publish is acked and every fetch is unacked until handled, so nothing is
            # lost, and drain would wait out its timeout on the pull subscriptions.
            with contextlib.suppress(Exception):
                await self.nc.close()


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


ACK_TIMEOUT_S = 10.0


class Outgoing(NamedTuple):
    """One event of an outbox row, ready to publish: `Nats-Msg-Id` (the event id) is in its headers."""

    id: str
    subject: str
    payload: bytes
    headers: dict[str, str]


def batch_stored(first: PubAck, last: PubAck, n: int) -> bool:
    """Whether the acks of a checked batch's first and last message prove the n - 2 between were stored.

    The server stores one connection's messages in the order they were sent, so when neither end is a
    duplicate, both landed in the same stream and they are exactly n - 1 sequence numbers apart, every middle
    message took one of the sequence numbers between. Fewer means one was refused or was a duplicate (a gap);
    more means another publisher's message came between. Either way the batch goes again, message by message.
    Only this service's relays publish to its stream, so a gap could hide only behind exactly as many messages
    of another replica's relay, in the same instant; the usual cause of a silent loss, a reconnect, is checked
    separately.
    """
    return not first.duplicate and not last.duplicate and first.stream == last.stream and last.seq - first.seq == n - 1


# The oldest unpublished rows that no other relay holds, up to `n` events: a batch row counts as its events,
# and the first row is taken whatever its size (rows locked past the cut are let go at commit). Text, not uuid
# and jsonb: the ids go out as text, and a batch's rows mostly share one headers value, decoded once.
_CLAIM = sa.text(
    "WITH free AS ("
    " SELECT seq, coalesce(cardinality(event_ids), 1) AS events FROM outbox WHERE published_at IS NULL"
    " ORDER BY seq LIMIT :n FOR UPDATE SKIP LOCKED"
    "), head AS (SELECT seq, sum(events) OVER (ORDER BY seq) - events AS before FROM free) "
    "SELECT o.id::text, o.type, o.payload, o.headers::text, o.event_ids::text[] "
    "FROM outbox o JOIN head USING (seq) WHERE head.before < :n ORDER BY o.seq"
)


class OutboxRelay:
    """Publishes committed outbox rows in commit (sequence) order, then deletes them. A batch row
    (`events.emit_batch`) goes out as one message per event, in its order, and is deleted once all are stored.

    The stream is the event log; the outbox is only the queue in front of it, so a published row is deleted
    (rows that an older relay marked `published_at` are left alone). Replicas share the work with
    `FOR UPDATE SKIP LOCKED`. `Nats-Msg-Id` is the event id, so a row published twice (a crash between
    publish and delete, or a checked batch sent again one by one) is dropped by the stream's duplicate window.

    A batch is a "checked batch": the first and last rows are published with an ack, the rows between as
    plain core publishes with no reply (JetStream stores them all the same, and acks cost the client far
    more CPU than the publish). The two acks prove the middle was stored (`batch_stored`); when they do not,
    or a reconnect happened meanwhile, the batch is published again with an ack per row and only the acked
    prefix is deleted, as before.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        bus: Bus,
        *,
        batch_size: int = 1000,
        poll_interval: float = 0.5,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bus = bus
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.fallbacks = 0  # checked batches that had to go again one by one
        self.ack_timeout = ACK_TIMEOUT_S
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        delay = 0.2
        while not self._stopping:
            try:
                if not await self.bus.wait_connected(5):
                    continue
                sent = await self.relay_once()
                delay = 0.2
                if sent >= self.batch_size:
                    continue
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                # No acks in time: NATS is slow or away (the connection's own logs say which), or the stream
                # refused a message, which nats-py leaves unanswered (nats.py issue #985; Bus._on_error logs
                # the refusal). Nothing was deleted: the rows go again.
                log.warning("outbox relay: no JetStream acks in time; publishing again", timeout_s=self.ack_timeout)
                continue
            except Exception as exc:
                log.warning("outbox relay failed; backing off", error=str(exc) or type(exc).__name__, delay=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._wake.clear()
            await wait_event(self._wake, self.poll_interval)

    async def relay_once(self) -> int:
        """Publish one batch; returns how many events were published (their rows deleted)."""
        async with self.sessionmaker() as session, session.begin():
            rows = (await session.execute(_CLAIM, {"n": self.batch_size})).all()
            if not rows:
                return 0
            decoded: dict[str, dict[str, str]] = {}
            batch: list[Outgoing] = []
            ends: list[tuple[str, int]] = []  # each row's id, and how many messages up to its last
            for row_id, subject, payload, headers, event_ids in rows:
                base = decoded.get(headers)
                if base is None:
                    base = decoded[headers] = json.loads(headers)
                if event_ids is None:
                    batch.append(Outgoing(row_id, subject, bytes(payload), {**base, "Nats-Msg-Id": row_id}))
                else:  # a batch row (events.emit_batch): one message per line, each with its own event id
                    batch.extend(
                        Outgoing(event_id, subject, part, {**base, "Nats-Msg-Id": event_id})
                        for event_id, part in zip(event_ids, bytes(payload).split(b"\n"), strict=True)
                    )
                ends.append((row_id, len(batch)))
            if len(batch) > 1 and await self._publish_checked(batch):
                sent, error = len(batch), None
            else:
                sent, error = await self._publish_each(batch)
            # A row goes once all its events are stored; a batch row cut short goes again whole, and the stream
            # drops the events it already holds (Nats-Msg-Id).
            done = [row_id for row_id, end in ends if end <= sent]
            if done:
                await session.execute(sa.text("DELETE FROM outbox WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": done})
        # Raised after the commit, so the acked prefix stays deleted; the rest goes again next time.
        EVENTS_PUBLISHED.inc(sent)
        if error is not None:
            raise ConnectionError(f"publish failed: {error!r}")
        return sent

    async def _publish_checked(self, batch: list[Outgoing]) -> bool:
        """Publish a batch with acks on its ends only; True when they prove every row was stored."""
        js = self.bus.js
        nc = self.bus.nc
        assert nc is not None  # `js` raised otherwise
        reconnects = nc.stats["reconnects"]
        head, tail = batch[0], batch[-1]
        futures = [await js.publish_async(head.subject, head.payload, headers=head.headers)]
        try:
            for m in batch[1:-1]:
                await nc.publish(m.subject, m.payload, headers=m.headers)
            futures.append(await js.publish_async(tail.subject, tail.payload, headers=tail.headers))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        # No explicit flush: nats-py writes in order, so the last ack means the middle reached the server too.
        # No ack in time raises, as before (a server that acks neither end would not ack the rows one by one).
        first, last = await _gather_acks(futures, self.ack_timeout)
        proven = isinstance(first, PubAck) and isinstance(last, PubAck) and batch_stored(first, last, len(batch))
        if proven and nc.stats["reconnects"] == reconnects:  # a reconnect may have lost some of the middle
            return True
        self.fallbacks += 1
        log.info(
            "checked batch not proven; publishing it one by one",
            rows=len(batch),
            first=_describe(first),
            last=_describe(last),
        )
        return False

    async def _publish_each(self, batch: list[Outgoing]) -> tuple[int, BaseException | None]:
        """Publish every row with an ack; returns the length of the acked prefix and the first failure."""
        js = self.bus.js
        futures = []
        try:
            for m in batch:
                futures.append(await js.publish_async(m.subject, m.payload, headers=m.headers))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        results = await _gather_acks(futures, self.ack_timeout)
        for i, result in enumerate(results):
            if isinstance(result, BaseException):
                return i, result  # keep order: the rest goes again next time (duplicates are dropped by Nats-Msg-Id)
        return len(results), None


async def _gather_acks(futures: list[asyncio.Future[PubAck]], timeout: float) -> list[PubAck | BaseException]:
    """Wait for every ack (failures come back as exceptions); past the timeout nothing counts as sent."""
    gathered = asyncio.gather(*futures, return_exceptions=True)
    try:
        async with asyncio.timeout(timeout):
            return await gathered
    except BaseException:
        gathered.cancel()  # stopping, or no acks in time: the rows stay unsent and go again
        raise


def _describe(ack: PubAck | BaseException) -> str:
    if isinstance(ack, BaseException):
        return repr(ack)[:200]
    return f"{ack.stream}:{ack.seq}{' duplicate' if ack.duplicate else ''}"


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer `<service>--<purpose>` on another service's stream."""

    name: str
    stream: str
    subjects: tuple[str, ...]
    handler: Handler
    max_deliver: int = 5
    batch: int = 100


async def claim_inbox(session: AsyncSession, consumer: str, event_id: str) -> bool:
    """Record (consumer, event id) in this transaction; False when the event was already handled."""
    result = await session.execute(
        sa.text("INSERT INTO inbox (consumer, event_id) VALUES (:c, :e) ON CONFLICT DO NOTHING"),
        {"c": consumer, "e": event_id},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def handle_once(sessionmaker: async_sessionmaker[AsyncSession], spec: ConsumerSpec, event: CloudEvent) -> bool:
    """Run a handler and its inbox row in one transaction. Returns False for a duplicate."""
    async with sessionmaker() as session, session.begin():
        if not await claim_inbox(session, spec.name, event.id):
            return False
        await spec.handler(session, event)
        return True


async def write_dead_letter(
    sessionmaker: async_sessionmaker[AsyncSession],
    spec: ConsumerSpec,
    subject: str,
    payload: bytes,
    error: str,
    deliveries: int,
    event: CloudEvent | None,
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            sa.text(
                "INSERT INTO dead_letters (id, consumer, event_id, subject, tenant_id, payload, error, deliveries)"
                " VALUES (:id, :c, :e, :s, :t, :p, :err, :d)"
            ),
            {
                "id": uuid7(),
                "c": spec.name,
                "e": event.id if event else None,
                "s": subject,
                "t": event.tenantid if event else None,
                "p": payload,
                "err": error[:2000],
                "d": deliveries,
            },
        )
    EVENTS_DEAD.labels(spec.name).inc()
    log.error("event dead-lettered", consumer=spec.name, subject=subject, error=error[:200])


class ConsumerRunner:
    """Pulls, handles, commits, then acks. Transient errors nak with a delay; poison is termed and kept."""

    def __init__(self, spec: ConsumerSpec, bus: Bus, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.spec = spec
        self.bus = bus
        self.sessionmaker = sessionmaker
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.spec.name}")

    def request_stop(self) -> None:
        self._stopping = True  # nats-py's fetch can swallow CancelledError; the loop also checks this flag
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        self.request_stop()
        await cancel_and_wait(self._task)

    async def _subscribe(self) -> Any:
        js = self.bus.js
        config = ConsumerConfig(
            durable_name=self.spec.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=30,
            max_ack_pending=10_000,
            filter_subjects=list(self.spec.subjects) if len(self.spec.subjects) > 1 else None,
            filter_subject=self.spec.subjects[0] if len(self.spec.subjects) == 1 else None,
        )
        try:
            await js.consumer_info(self.spec.stream, self.spec.name)
        except NotFoundError:
            await js.add_consumer(self.spec.stream, config)
        return await js.pull_subscribe_bind(self.spec.name, stream=self.spec.stream)

    async def _run(self) -> None:
        delay = 0.2
        while not self._stopping:
            try:
                if not await self.bus.wait_connected(5):
                    continue
                generation = self.bus.generation
                sub = await self._subscribe()
                delay = 0.2
                idle = 0
                while generation == self.bus.generation and not self._stopping:
                    try:
                        msgs = await sub.fetch(self.spec.batch, timeout=1.0)
                    except (TimeoutError, nats.errors.TimeoutError):
                        idle += 1
                        if idle % 10 == 0:  # a restarted server may have lost the consumer: check it exists
                            await self.bus.js.consumer_info(self.spec.stream, self.spec.name)
                        continue
                    idle = 0
                    for msg in msgs:
                        await self.process(msg)
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("consumer (re)subscribing", consumer=self.spec.name, reason=str(exc) or type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def process(self, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered if msg.reply else 1
        set_traceparent((msg.headers or {}).get("traceparent"))
        event: CloudEvent | None = None
        try:
            event = decode(msg.data, subject=msg.subject)
            handled = await handle_once(self.sessionmaker, self.spec, event)
        except (EventDecodeError, PoisonEvent, ValidationError, KeyError, TypeError, ValueError) as exc:
            await write_dead_letter(
                self.sessionmaker, self.spec, msg.subject, msg.data, f"{type(exc).__name__}: {exc}", deliveries, event
            )
            await msg.term()
            return
        except TRANSIENT as exc:
            log.warning("handler failed transiently; will retry", consumer=self.spec.name, error=type(exc).__name__)
            await msg.nak(delay=min(2.0**deliveries, 30.0))
            return
        except Exception as exc:
            if database_unavailable(exc):  # PostgreSQL restarting: retry later, never dead-letter for it
                await msg.nak(delay=min(2.0**deliveries, 30.0))
                return
            if deliveries >= self.spec.max_deliver:
                await write_dead_letter(
                    self.sessionmaker,
                    self.spec,
                    msg.subject,
                    msg.data,
                    f"{type(exc).__name__}: {exc}",
                    deliveries,
                    event,
                )
                await msg.term()
                return
            log.warning("handler failed; will retry", consumer=self.spec.name, error=repr(exc)[:300])
            await msg.nak(delay=min(2.0**deliveries, 30.0))
            return
        EVENTS_CONSUMED.labels(self.spec.name, "handled" if handled else "duplicate").inc()
        await msg.ack()


async def replay_dead_letter(
    sessionmaker: async_sessionmaker[AsyncSession], specs: dict[str, ConsumerSpec], tenant_id: str, dead_letter_id: Any
) -> dict[str, Any] | None:
    """Run a dead letter's handler again, in-process. Marks it replayed on success; returns None if unknown."""
    async with sessionmaker() as session:
        row = (
            await session.execute(
                sa.text(
                    "SELECT id, consumer, subject, payload, status FROM dead_letters WHERE id = :id AND tenant_id = :t"
                ),
                {"id": dead_letter_id, "t": tenant_id},
            )
        ).first()
    if row is None:
        return None
    spec = specs.get(row.consumer)
    if spec is None:
        raise PoisonEvent(f"no consumer named {row.consumer!r} in this service")
    try:
        event = decode(bytes(row.payload), subject=row.subject)
        handled = await handle_once(sessionmaker, spec, event)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        async with sessionmaker() as session, session.begin():
            await session.execute(
                sa.text("UPDATE dead_letters SET error = :e, deliveries = deliveries + 1 WHERE id = :id"),
                {"e": error[:2000], "id": row.id},
            )
        raise ReplayFailed(error) from exc
    async with sessionmaker() as session, session.begin():
        await session.execute(
            sa.text("UPDATE dead_letters SET status = 'replayed', replayed_at = now() WHERE id = :id"), {"id": row.id}
        )
    return {"id": str(row.id), "status": "replayed", "handled": handled}
