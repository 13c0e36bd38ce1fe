"""The outbox relay's checked batches and batch rows, on a real PostgreSQL and nats-server: every event lands
once, in order."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import nats
import psycopg
import pytest
from nats.js.api import PubAck
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tests.conftest import sql
from vcio_shared.connection import Bus
from vcio_shared.db import create_engine, make_sessionmaker
from vcio_shared.events import CloudEvent, build, encode
from vcio_shared.outbox import OutboxRelay, Outgoing, batch_stored
from vcio_shared.settings import to_driver_url

TYPE = "vcio.catalog.note.created"


@pytest.fixture
async def relay(notes_db: str, nats_url: str) -> AsyncIterator[OutboxRelay]:
    """The catalog's relay on its own, with no app around it: each test calls `relay_once` itself."""
    engine: AsyncEngine = create_engine(to_driver_url(notes_db, "asyncpg"))
    bus = Bus(nats_url, "catalog")
    bus.start()
    await bus.connected.wait()
    try:
        yield OutboxRelay(make_sessionmaker(engine), bus, batch_size=1000)
    finally:
        await bus.close()
        await engine.dispose()


def write_outbox(url: str, events: list[CloudEvent]) -> None:
    """Committed outbox rows, in this order of `seq`."""
    with psycopg.connect(url) as conn:
        for event in events:
            conn.execute(
                "INSERT INTO outbox (id, tenant_id, type, payload, headers) VALUES (%s, %s, %s, %s, %s)",
                (event.id, event.tenantid, event.type, encode(event), '{"traceparent": "00-ab-cd-01"}'),
            )


def write_batch(url: str, events: list[CloudEvent]) -> None:
    """One committed batch row, as `events.emit_batch` writes it."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO outbox (id, tenant_id, type, payload, headers, event_ids) VALUES (%s, %s, %s, %s, %s, %s)",
            (
                events[0].id,
                events[0].tenantid,
                events[0].type,
                b"\n".join(encode(e) for e in events),
                '{"traceparent": "00-ab-cd-01"}',
                [uuid.UUID(e.id) for e in events],
            ),
        )


def notes(n: int) -> list[CloudEvent]:
    return [build("catalog", TYPE, "tenant-a", {"id": f"n-{i}", "text": "x" * 700}) for i in range(n)]


async def stream_messages(nats_url: str) -> list[tuple[str, bytes, str | None]]:
    """(Nats-Msg-Id, payload, traceparent) of every message in the CATALOG stream, in stream order."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info("CATALOG")
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
            msg = await js.get_msg("CATALOG", seq)
            assert msg.headers is not None
            out.append((msg.headers["Nats-Msg-Id"], msg.data, msg.headers.get("traceparent")))
        return out
    finally:
        await nc.close()


async def stream_ids(nats_url: str) -> list[str]:
    """The `Nats-Msg-Id` of every message in the CATALOG stream, in stream order."""
    return [event_id for event_id, _, _ in await stream_messages(nats_url)]


async def test_checked_batch_stores_every_row_once_in_seq_order_and_empties_the_outbox(
    relay: OutboxRelay, notes_db: str, nats_url: str
) -> None:
    events = notes(500)
    write_outbox(notes_db, events)
    assert await relay.relay_once() == 500
    assert relay.fallbacks == 0  # the two acks proved the batch: no message went twice
    assert await stream_ids(nats_url) == [e.id for e in events]
    assert sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)]
    assert await relay.relay_once() == 0


async def test_middle_row_already_in_the_stream_is_a_gap_so_the_batch_goes_again_one_by_one(
    relay: OutboxRelay, notes_db: str, nats_url: str
) -> None:
    events = notes(500)
    write_outbox(notes_db, events)
    # Row 250 was published before (a crash before the delete): its core publish is dropped as a duplicate.
    nc = await nats.connect(nats_url)
    try:
        ack = await nc.jetstream().publish(TYPE, encode(events[250]), headers={"Nats-Msg-Id": events[250].id})
    finally:
        await nc.close()
    assert (ack.stream, ack.seq, ack.duplicate) == ("CATALOG", 1, None)
    assert await relay.relay_once() == 500
    assert relay.fallbacks == 1
    ids = await stream_ids(nats_url)
    assert ids == [events[250].id] + [e.id for i, e in enumerate(events) if i != 250]
    assert sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)]


async def test_row_that_cannot_be_stored_stops_the_batch_there_and_stays_in_the_outbox(
    relay: OutboxRelay, notes_db: str, nats_url: str
) -> None:
    events = notes(10)
    # No stream listens on this subject: its core publish vanishes, its acked publish fails.
    events[5] = build("elsewhere", "vcio.elsewhere.note.created", "tenant-a", {"id": "n-5"})
    write_outbox(notes_db, events)
    with pytest.raises(ConnectionError, match="publish failed"):
        await relay.relay_once()
    assert relay.fallbacks == 1
    # Rows from the failure on go again next time (the stream drops the ones it already holds).
    assert [uuid.UUID(str(r[0])) for r in sql(notes_db, "SELECT id FROM outbox ORDER BY seq")] == [
        uuid.UUID(e.id) for e in events[5:]
    ]
    assert await stream_ids(nats_url) == [e.id for i, e in enumerate(events) if i != 5]


async def test_single_row_is_published_with_an_ack(relay: OutboxRelay, notes_db: str, nats_url: str) -> None:
    events = notes(1)
    write_outbox(notes_db, events)
    assert await relay.relay_once() == 1
    assert await stream_ids(nats_url) == [events[0].id]
    assert sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)]


async def test_batch_rows_go_out_one_message_per_event_in_seq_order_among_single_rows(
    relay: OutboxRelay, notes_db: str, nats_url: str
) -> None:
    events = notes(9)
    write_outbox(notes_db, events[:1])
    write_batch(notes_db, events[1:5])
    write_outbox(notes_db, events[5:6])
    write_batch(notes_db, events[6:9])
    assert await relay.relay_once() == 9
    assert relay.fallbacks == 0
    assert await stream_messages(nats_url) == [(e.id, encode(e), "00-ab-cd-01") for e in events]
    assert sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)]


async def test_a_round_takes_rows_up_to_its_batch_size_in_events_and_a_bigger_first_row_whole(
    relay: OutboxRelay, notes_db: str, nats_url: str
) -> None:
    events = notes(3701)
    write_batch(notes_db, events[:600])
    write_batch(notes_db, events[600:1200])  # starts at 600 events, under the round's 1,000: taken
    write_batch(notes_db, events[1200:3700])  # starts at 1,200: next round, whose first row it is, taken whole
    write_outbox(notes_db, events[3700:])  # starts at 2,500 in that round: the one after
    assert [await relay.relay_once() for _ in range(4)] == [1200, 2500, 1, 0]
    assert await stream_ids(nats_url) == [e.id for e in events]


class CutShort(OutboxRelay):
    """A relay whose connection drops after `k` messages of a round (nats-py cannot be made to refuse one
    message of a subject for real: a stream's refusal never resolves its ack future, nats.py issue #985)."""

    k = 3

    async def _publish_checked(self, batch: list[Outgoing]) -> bool:
        return False

    async def _publish_each(self, batch: list[Outgoing]) -> tuple[int, BaseException | None]:
        sent, error = await super()._publish_each(batch[: self.k])
        return sent, error or ConnectionError("connection lost")


async def test_a_batch_row_cut_short_stays_and_goes_again_whole_without_doubling_the_stream(
    relay: OutboxRelay, notes_db: str, nats_url: str
) -> None:
    events = notes(5)
    write_outbox(notes_db, events[:1])
    write_batch(notes_db, events[1:])
    flaky = CutShort(relay.sessionmaker, relay.bus)
    with pytest.raises(ConnectionError, match="connection lost"):
        await flaky.relay_once()
    # The single row's event and two of the batch row's four are stored: only the single row is deleted.
    assert await stream_ids(nats_url) == [e.id for e in events[:3]]
    assert [uuid.UUID(str(r[0])) for r in sql(notes_db, "SELECT id FROM outbox")] == [uuid.UUID(events[1].id)]
    assert await relay.relay_once() == 4  # the whole row again: the stream drops the two it holds already
    assert await stream_ids(nats_url) == [e.id for e in events]
    assert sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)]


def refusals() -> float:
    return REGISTRY.get_sample_value("vcio_jetstream_refusals_total") or 0.0


async def test_a_message_the_stream_refuses_stays_in_the_outbox_and_the_refusal_is_counted(
    relay: OutboxRelay, notes_db: str, nats_url: str
) -> None:
    events = [build("catalog", TYPE, "tenant-a", {"id": "n-0", "text": "x" * 3000})]
    write_outbox(notes_db, events)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        config = (await js.stream_info("CATALOG")).config
        config.max_msg_size = 2000
        await js.update_stream(config)
    finally:
        await nc.close()
    relay.ack_timeout = 0.5
    refused = refusals()
    with pytest.raises(TimeoutError):
        await relay.relay_once()  # nats-py leaves the refused publish's ack unanswered (nats.py issue #985)
    assert [uuid.UUID(str(r[0])) for r in sql(notes_db, "SELECT id FROM outbox")] == [uuid.UUID(events[0].id)]
    assert await stream_ids(nats_url) == []
    # Logged as "jetstream refused a request" with the server's reason, and counted for alerts.
    assert refusals() == refused + 1


def ack(seq: int, stream: str = "CATALOG", duplicate: bool | None = None) -> PubAck:
    return PubAck(stream=stream, seq=seq, duplicate=duplicate)


def test_consecutive_sequence_numbers_prove_the_batch() -> None:
    assert batch_stored(ack(41), ack(540), 500) is True


def test_one_sequence_number_short_is_a_gap() -> None:
    assert batch_stored(ack(41), ack(539), 500) is False


def test_one_sequence_number_too_many_is_another_publisher_in_between() -> None:
    assert batch_stored(ack(41), ack(541), 500) is False


def test_a_duplicate_at_either_end_proves_nothing() -> None:
    assert batch_stored(ack(41, duplicate=True), ack(540), 500) is False
    assert batch_stored(ack(41), ack(540, duplicate=True), 500) is False


def test_ends_in_different_streams_prove_nothing() -> None:
    assert batch_stored(ack(41), ack(540, stream="OTHER"), 500) is False


async def test_waiting_for_nats_yields_when_the_client_says_down_before_its_callback_ran() -> None:
    """nats-py marks the connection down, then its disconnected callback clears `connected`. Waiting on the
    still-set event returned at once without yielding: the relay and consumer loops spun forever, the
    callback and the reconnect never ran (a clean-clone CI run: a relay child at 7 GiB after NATS went away)."""
    bus = Bus("nats://127.0.0.1:9", "catalog")  # never started: the client is down
    bus.connected.set()  # and the event still says up
    ran: list[bool] = []
    asyncio.get_running_loop().call_soon(ran.append, True)
    assert await bus.wait_connected(5) is False
    assert ran == [True]  # the loop ran other work meanwhile


async def test_a_wake_during_a_round_brings_the_next_round_at_once(relay: OutboxRelay) -> None:
    """A commit that wakes the relay while it is publishing (its rows not in that round's read) must not wait for
    the poll: clearing the wake after the round lost it, and the rows waited the whole poll interval."""
    relay.poll_interval = 30.0
    rounds: list[float] = []

    async def round_that_sees_a_commit() -> int:
        rounds.append(asyncio.get_running_loop().time())
        if len(rounds) == 1:
            relay.wake()  # a commit lands while this round is under way
        await asyncio.sleep(0.01)
        return 0

    relay.relay_once = round_that_sees_a_commit  # type: ignore[method-assign]
    relay.start()
    try:
        await asyncio.wait_for(_rounds(rounds, 2), 5)
    finally:
        await relay.stop()
    assert rounds[1] - rounds[0] < 1.0


async def _rounds(rounds: list[float], n: int) -> None:
    while len(rounds) < n:
        await asyncio.sleep(0.01)
