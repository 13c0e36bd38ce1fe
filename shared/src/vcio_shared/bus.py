"""NATS JetStream: the connection, streams, the outbox relay and the durable pull consumer runner."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import nats
import sqlalchemy as sa
import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vcio_shared.errors import database_unavailable
from vcio_shared.events import CloudEvent, EventDecodeError, decode
from vcio_shared.ids import uuid7
from vcio_shared.logging import set_traceparent
from vcio_shared.metrics import EVENTS_CONSUMED, EVENTS_DEAD, EVENTS_PUBLISHED

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


class OutboxRelay:
    """Publishes committed outbox rows in commit (sequence) order, then marks them sent.

    Replicas share the work with `FOR UPDATE SKIP LOCKED`. `Nats-Msg-Id` is the event id, so a row
    published twice (a crash between publish and mark) is dropped by the stream's duplicate window.
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
                if not self.bus.is_connected:
                    await wait_event(self.bus.connected, 5)
                    continue
                sent = await self.relay_once()
                delay = 0.2
                if sent >= self.batch_size:
                    continue
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                continue
            except Exception as exc:
                log.warning("outbox relay failed; backing off", error=str(exc) or type(exc).__name__, delay=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._wake.clear()
            await wait_event(self._wake, self.poll_interval)

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were marked sent."""
        js = self.bus.js
        async with self.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    sa.text(
                        "SELECT id, type, payload, headers FROM outbox WHERE published_at IS NULL "
                        "ORDER BY seq LIMIT :n FOR UPDATE SKIP LOCKED"
                    ),
                    {"n": self.batch_size},
                )
            ).all()
            if not rows:
                return 0
            futures = []
            for row in rows:
                headers = dict(row.headers or {})
                headers["Nats-Msg-Id"] = str(row.id)
                futures.append(await js.publish_async(row.type, bytes(row.payload), headers=headers))
            gathered = asyncio.gather(*futures, return_exceptions=True)
            try:
                async with asyncio.timeout(10):
                    results = await gathered
            except BaseException:
                gathered.cancel()  # stopping, or no acks in time: the rows stay unsent and go again
                raise
            acked = []
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    break  # keep order: the rest goes again next time (duplicates are dropped by Nats-Msg-Id)
                acked.append(row.id)
            if acked:
                await session.execute(
                    sa.text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)"), {"ids": acked}
                )
                EVENTS_PUBLISHED.inc(len(acked))
            if len(acked) < len(rows):
                bad = next(r for r in results if isinstance(r, BaseException))
                raise ConnectionError(f"publish failed: {bad!r}")
            return len(acked)


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
                if not self.bus.is_connected:
                    await wait_event(self.bus.connected, 5)
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
