"""The outbox relay (`OutboxRelay`): publishes committed outbox rows in commit order, then deletes them.

Lean on purpose (nats-py, asyncpg, structlog, prometheus-client): the relay child imports it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, NamedTuple

import asyncpg
import structlog
from nats.js.api import PubAck

from vcio_shared.connection import Bus, cancel_and_wait, wait_event
from vcio_shared.metrics import EVENTS_PUBLISHED

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger("vcio.bus")
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
_CLAIM = (
    "WITH free AS ("
    " SELECT seq, coalesce(cardinality(event_ids), 1) AS events FROM outbox WHERE published_at IS NULL"
    " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED"
    "), head AS (SELECT seq, sum(events) OVER (ORDER BY seq) - events AS before FROM free) "
    "SELECT o.id::text, o.type, o.payload, o.headers::text, o.event_ids::text[] "
    "FROM outbox o JOIN head USING (seq) WHERE head.before < $1 ORDER BY o.seq"
)
_DELETE = "DELETE FROM outbox WHERE id = ANY($1::text[]::uuid[])"


class OutboxRelay:
    """Publishes committed outbox rows in commit (sequence) order, then deletes them. A batch row
    (`events.emit_batch`) goes out as one message per event, in its order, and is deleted once all are stored.

    The stream is the event log; the outbox is only the queue in front of it, so a published row is deleted
    (a row marked `published_at` is left alone). Replicas share the work with
    `FOR UPDATE SKIP LOCKED`. `Nats-Msg-Id` is the event id, so a row published twice (a crash between
    publish and delete, or a checked batch sent again one by one) is dropped by the stream's duplicate window.

    A batch is a "checked batch": the first and last rows are published with an ack, the rows between as
    plain core publishes with no reply (JetStream stores them all the same, and acks cost the client far
    more CPU than the publish). The two acks prove the middle was stored (`batch_stored`); when they do not,
    or a reconnect happened meanwhile, the batch is published again with an ack per row and only the acked
    prefix is deleted.

    `sessionmaker` is the service's SQLAlchemy sessionmaker (in-process) or a bare asyncpg pool (the child);
    either way the two statements run on asyncpg, in one transaction.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession] | asyncpg.Pool,
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
        """Publish now rather than at the next poll (called after a commit that wrote outbox rows)."""
        self._wake.set()

    def start(self) -> None:
        """Run the relay loop in the background."""
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Stop the loop; a batch in flight is published again by the next relay."""
        self._stopping = True
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        delay = 0.2
        while not self._stopping:
            self._wake.clear()  # before the work: a commit's wake that comes during it brings another round at once
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
            await wait_event(self._wake, self.poll_interval)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        if isinstance(self.sessionmaker, asyncpg.Pool):
            async with self.sessionmaker.acquire() as conn, conn.transaction():
                yield conn
            return
        async with self.sessionmaker() as session, session.begin():
            raw = await (await session.connection()).get_raw_connection()
            yield raw.driver_connection  # type: ignore[misc]

    async def relay_once(self) -> int:
        """Publish one batch; returns how many events were published (their rows deleted)."""
        async with self._transaction() as conn:
            rows = await conn.fetch(_CLAIM, self.batch_size)
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
                await conn.execute(_DELETE, done)
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
        # No ack in time raises (a server that acks neither end would not ack the rows one by one either).
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
