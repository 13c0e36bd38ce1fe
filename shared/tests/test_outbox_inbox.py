"""The outbox/inbox invariants of DESIGN.md, each on a real PostgreSQL and nats-server."""

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
import nats
import psycopg

from shared.tests import noteservice
from shared.tests.conftest import sql
from vcio_shared.consumers import ConsumerRunner, handle_once
from vcio_shared.embedded import NatsServer
from vcio_shared.events import build, decode, encode
from vcio_shared.testing import auth, eventually, running

SUBJECT = "vcio.catalog.note.created"


async def stream_messages(nats_url: str) -> list[dict]:  # type: ignore[type-arg]
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info("CATALOG")
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg("CATALOG", seq)
            out.append({"id": msg.headers["Nats-Msg-Id"], "event": decode(msg.data)})
        return out if info.state.messages else []
    finally:
        await nc.close()


def runtime_of(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    return client._transport.app.state.runtime  # type: ignore[attr-defined]


async def test_rolled_back_change_writes_no_outbox_row(notes: httpx.AsyncClient, notes_db: str) -> None:
    r = await notes.post("/v1/notes?fail=true", json={"text": "hello"}, headers=auth())
    assert r.status_code == 409
    assert sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)]
    assert sql(notes_db, "SELECT count(*) FROM notes") == [(0,)]
    assert sql(notes_db, "SELECT count(*) FROM audit_log") == [(0,)]


async def test_committed_change_writes_exactly_one_outbox_row(notes: httpx.AsyncClient, notes_db: str) -> None:
    r = await notes.post("/v1/notes", json={"text": "hello"}, headers=auth())
    assert r.status_code == 201
    rows = sql(notes_db, "SELECT type, tenant_id FROM outbox")
    assert rows == [(SUBJECT, "tenant-a")]


async def test_publishing_twice_yields_one_stream_message(
    notes: httpx.AsyncClient, notes_db: str, nats_url: str
) -> None:
    relay = runtime_of(notes).relay
    await notes.post("/v1/notes", json={"text": "once"}, headers=auth())
    await eventually(lambda: sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)])
    [published] = await stream_messages(nats_url)
    await relay.stop()  # from here on only this test runs the relay
    # A crash between publish and delete: the row is still there and goes out a second time.
    event = published["event"]
    with psycopg.connect(notes_db) as conn:
        conn.execute(
            "INSERT INTO outbox (id, tenant_id, type, payload) VALUES (%s, %s, %s, %s)",
            (event.id, event.tenantid, event.type, encode(event)),
        )
    assert await relay.relay_once() == 1
    messages = await stream_messages(nats_url)
    assert len(messages) == 1
    assert messages[0]["id"] == published["id"] == event.id
    assert sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)]


async def test_delivering_an_event_twice_has_one_effect(notes: httpx.AsyncClient, notes_db: str, nats_url: str) -> None:
    event = build("catalog", SUBJECT, "tenant-a", {"id": "n-1", "text": "twice"})
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await runtime_of(notes).bus.connected.wait()
    # Two distinct NATS messages carrying the same event (so the stream's de-duplication cannot help).
    await js.publish(SUBJECT, encode(event), headers={"Nats-Msg-Id": "a"})
    await js.publish(SUBJECT, encode(event), headers={"Nats-Msg-Id": "b"})
    await nc.close()
    await eventually(lambda: noteservice.Behaviour.calls >= 1 and sql(notes_db, "SELECT count(*) FROM inbox") == [(1,)])
    await asyncio.sleep(0.5)  # give the second delivery every chance to double the effect
    assert sql(notes_db, "SELECT event_id FROM note_copies") == [(event.id,)]
    assert sql(notes_db, "SELECT consumer, event_id FROM inbox") == [("catalog--note-copier", event.id)]


async def test_failing_handler_leaves_no_inbox_row_so_redelivery_runs_it(
    notes_db: str, make_notes_app: Callable[..., object]
) -> None:
    app = make_notes_app()
    async with running(app):  # type: ignore[arg-type]
        runtime = app.state.runtime  # type: ignore[attr-defined]
        event = build("catalog", SUBJECT, "tenant-a", {"id": "n-2", "text": "flaky"})
        noteservice.Behaviour.transient_failures = 1
        try:
            await handle_once(runtime.sessionmaker, noteservice.CONSUMER, event)
            raise AssertionError("the handler should have failed")
        except ConnectionError:
            pass
        assert sql(notes_db, "SELECT count(*) FROM inbox") == [(0,)]
        assert sql(notes_db, "SELECT count(*) FROM note_copies") == [(0,)]
        assert await handle_once(runtime.sessionmaker, noteservice.CONSUMER, event) is True
        assert sql(notes_db, "SELECT count(*) FROM inbox") == [(1,)]
        assert sql(notes_db, "SELECT event_id FROM note_copies") == [(event.id,)]


async def test_transient_failure_is_redelivered_by_nats_and_handled_once(
    notes: httpx.AsyncClient, notes_db: str
) -> None:
    noteservice.Behaviour.transient_failures = 1
    r = await notes.post("/v1/notes", json={"text": "retry me"}, headers=auth())
    assert r.status_code == 201
    await eventually(lambda: sql(notes_db, "SELECT count(*) FROM note_copies") == [(1,)], timeout=15)
    assert noteservice.Behaviour.calls == 2
    assert sql(notes_db, "SELECT count(*) FROM dead_letters") == [(0,)]


async def test_poison_message_lands_in_dead_letters_not_in_endless_retry(
    notes: httpx.AsyncClient, notes_db: str, nats_url: str
) -> None:
    await runtime_of(notes).bus.connected.wait()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.publish(SUBJECT, b"{not json", headers={"Nats-Msg-Id": "garbage"})
    await nc.close()
    r = await notes.post("/v1/notes", json={"text": "poison"}, headers=auth())
    assert r.status_code == 201
    await eventually(lambda: sql(notes_db, "SELECT count(*) FROM dead_letters") == [(2,)])
    await asyncio.sleep(1.0)
    rows = sql(notes_db, "SELECT subject, deliveries, status, left(error, 20) FROM dead_letters ORDER BY created_at")
    assert rows == [(SUBJECT, 1, "dead", "EventDecodeError: no"), (SUBJECT, 1, "dead", "PoisonEvent: this no")]
    assert noteservice.Behaviour.calls == 1  # terminated, not retried
    listed = await notes.get("/v1/dead-letters", headers=auth())
    assert [i["error"][:11] for i in listed.json()["items"]] == ["PoisonEvent"]  # the garbage has no tenant


async def test_dead_letter_replay_runs_the_handler_again(notes: httpx.AsyncClient, notes_db: str) -> None:
    r = await notes.post("/v1/notes", json={"text": "poison"}, headers=auth())
    assert r.status_code == 201
    await eventually(lambda: sql(notes_db, "SELECT count(*) FROM dead_letters") == [(1,)])
    dead_id = (await notes.get("/v1/dead-letters", headers=auth())).json()["items"][0]["id"]
    other_tenant = await notes.post(f"/v1/dead-letters/{dead_id}/replay", headers=auth("tenant-b"))
    assert other_tenant.status_code == 404
    again = await notes.post(f"/v1/dead-letters/{dead_id}/replay", headers=auth())
    assert again.status_code == 409  # the cause is not fixed yet: it stays dead, with the new error
    assert again.json()["detail"] == "the handler failed again: PoisonEvent: this note can never be copied"
    assert sql(notes_db, "SELECT status, deliveries FROM dead_letters") == [("dead", 2)]
    noteservice.Behaviour.calls = 0
    # The operator fixed the cause (here: the handler now accepts it) and replays.
    original = noteservice.copy_note

    async def lenient(session, event):  # type: ignore[no-untyped-def]
        event.data["text"] = "fixed"
        await original(session, event)

    object.__setattr__(noteservice.CONSUMER, "handler", lenient)
    try:
        replayed = await notes.post(f"/v1/dead-letters/{dead_id}/replay", headers=auth())
    finally:
        object.__setattr__(noteservice.CONSUMER, "handler", original)
    assert replayed.status_code == 200
    assert replayed.json() == {"id": dead_id, "status": "replayed", "handled": True}
    assert sql(notes_db, "SELECT count(*) FROM note_copies") == [(1,)]
    assert sql(notes_db, "SELECT status FROM dead_letters") == [("replayed",)]


async def test_relay_publishes_in_commit_order(notes: httpx.AsyncClient, notes_db: str, nats_url: str) -> None:
    texts = [f"note {i:02d}" for i in range(40)]
    for text in texts:
        assert (await notes.post("/v1/notes", json={"text": text}, headers=auth())).status_code == 201
    await eventually(lambda: sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)])
    messages = await stream_messages(nats_url)
    assert [m["event"].data["text"] for m in messages] == texts


async def test_events_written_while_nats_is_down_all_arrive_once(
    notes_db: str, make_notes_app: Callable[..., object]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServer(Path(tmp) / "js").start()
        port = server.port
        try:
            app = make_notes_app(nats=server.url)
            async with running(app) as client:  # type: ignore[arg-type]
                await app.state.runtime.bus.connected.wait()  # type: ignore[attr-defined]
                server.stop()
                for i in range(20):
                    r = await client.post("/v1/notes", json={"text": f"while down {i}"}, headers=auth())
                    assert r.status_code == 201
                assert sql(notes_db, "SELECT count(*) FROM outbox") == [(20,)]
                server = NatsServer(Path(tmp) / "js", port=port).start()
                await eventually(lambda: sql(notes_db, "SELECT count(*) FROM note_copies") == [(20,)], timeout=30)
                await asyncio.sleep(1.0)
                assert sql(notes_db, "SELECT count(*), count(DISTINCT event_id) FROM note_copies") == [(20, 20)]
                assert sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)]
        finally:
            server.stop()


async def test_consumer_resubscribes_after_the_server_loses_its_state(
    notes_db: str, make_notes_app: Callable[..., object]
) -> None:
    """A replacement server with an empty store: the stream and the durable consumer are created again."""
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as tmp2:
        server = NatsServer(Path(tmp) / "js").start()
        port = server.port
        try:
            app = make_notes_app(nats=server.url)
            async with running(app) as client:  # type: ignore[arg-type]
                await app.state.runtime.bus.connected.wait()  # type: ignore[attr-defined]
                assert (await client.post("/v1/notes", json={"text": "before"}, headers=auth())).status_code == 201
                await eventually(lambda: sql(notes_db, "SELECT count(*) FROM note_copies") == [(1,)])
                server.stop()
                server = NatsServer(Path(tmp2) / "js", port=port).start()
                assert (await client.post("/v1/notes", json={"text": "after"}, headers=auth())).status_code == 201
                await eventually(lambda: sql(notes_db, "SELECT count(*) FROM note_copies") == [(2,)], timeout=30)
        finally:
            server.stop()


_ = ConsumerRunner  # the runner is exercised through the app's lifespan above
