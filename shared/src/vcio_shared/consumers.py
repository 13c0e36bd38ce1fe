"""Consuming other services' events: the durable pull consumer runner, the inbox guard and dead letters.

The rule for every consumer: a handler runs in one transaction with its inbox row, so a redelivered event has one
effect; an event of a type the consumer did not subscribe to (`ConsumerSpec.subjects`), one that cannot be
decoded, or one whose handler raises `PoisonEvent` is dead-lettered at once; a transient failure (database or
NATS away) is retried later; anything else is retried up to `max_deliver` times, then dead-lettered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import nats
import sqlalchemy as sa
import structlog
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vcio_shared.connection import Bus, cancel_and_wait
from vcio_shared.errors import database_unavailable
from vcio_shared.events import CloudEvent, EventDecodeError, decode
from vcio_shared.ids import uuid7
from vcio_shared.logging import set_traceparent
from vcio_shared.metrics import EVENTS_CONSUMED, EVENTS_DEAD

log = structlog.get_logger("vcio.bus")

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


class PoisonEvent(Exception):
    """Raised by a handler for an event that can never succeed: it goes to the dead-letter table at once."""


class ReplayFailed(Exception):
    """A dead letter's handler failed again; the dead letter stays, with the new error."""


TRANSIENT = (OperationalError, InterfaceError, OSError, asyncio.TimeoutError, ConnectionError)


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer `<service>--<purpose>` on another service's stream.

    `subjects` are the event types it handles (a CloudEvent's type is its subject), or a prefix ending in `.>`
    as NATS writes one; the runner dead-letters any other type before the handler sees it."""

    name: str
    stream: str
    subjects: tuple[str, ...]
    handler: Handler
    max_deliver: int = 5
    batch: int = 100


def subscribed(subjects: tuple[str, ...], event_type: str) -> bool:
    """Whether a type is one of `subjects`, exactly or under a `prefix.>` among them."""
    return any(s == event_type or (s.endswith(".>") and event_type.startswith(s[:-1])) for s in subjects)


async def claim_inbox(session: AsyncSession, consumer: str, event_id: str) -> bool:
    """Record (consumer, event id) in this transaction; False when the event was already handled."""
    result = await session.execute(
        sa.text("INSERT INTO inbox (consumer, event_id) VALUES (:c, :e) ON CONFLICT DO NOTHING"),
        {"c": consumer, "e": event_id},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def handle_once(sessionmaker: async_sessionmaker[AsyncSession], spec: ConsumerSpec, event: CloudEvent) -> bool:
    """Run a handler and its inbox row in one transaction. Returns False for a duplicate.

    Raises `PoisonEvent` for an event type the consumer does not handle: one rule for every service, so a
    handler never acks an unknown type silently."""
    if not subscribed(spec.subjects, event.type):
        raise PoisonEvent(f"{spec.name} does not handle {event.type}")
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
    """Keep an event that will not be handled, with its error, for `/v1/dead-letters` and replay."""
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
        self._delay = 0.2  # the back-off before the next subscription attempt

    def start(self) -> None:
        """Consume in the background."""
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.spec.name}")

    def request_stop(self) -> None:
        """Ask the loop to stop without waiting for it."""
        self._stopping = True  # nats-py's fetch can swallow CancelledError; the loop also checks this flag
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        """Stop the loop and wait a bounded time for it."""
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
            info = await js.consumer_info(self.spec.stream, self.spec.name)
        except NotFoundError:
            await js.add_consumer(self.spec.stream, config)
        else:
            had = info.config.filter_subjects or [info.config.filter_subject]
            if set(had) != set(self.spec.subjects):  # a release changed the subjects: the durable consumer follows
                await js.add_consumer(self.spec.stream, config)
        return await js.pull_subscribe_bind(self.spec.name, stream=self.spec.stream)

    async def _run(self) -> None:
        self._delay = 0.2
        while not self._stopping:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("consumer (re)subscribing", consumer=self.spec.name, reason=str(exc) or type(exc).__name__)
                await asyncio.sleep(self._delay)
                self._delay = min(self._delay * 2, 5.0)

    async def _consume(self) -> None:
        """Once connected, subscribe and handle messages until the connection changes or the runner stops."""
        if not await self.bus.wait_connected(5):
            return
        generation = self.bus.generation
        sub = await self._subscribe()
        self._delay = 0.2  # subscribed: the next failure backs off from the start again
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

    async def process(self, msg: Msg) -> None:
        """Handle one message and answer NATS: ack, nak with a delay, or term after dead-lettering."""
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
