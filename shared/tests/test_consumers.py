"""The runner's rules for what it will not handle, and the session factory's wake of the relay on commit."""

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from shared.tests import noteservice
from shared.tests.conftest import sql
from vcio_shared import events
from vcio_shared.consumers import ConsumerRunner, PoisonEvent, handle_once
from vcio_shared.db import create_engine, make_sessionmaker
from vcio_shared.events import build, encode
from vcio_shared.testing import running

OTHER_TYPE = "vcio.catalog.note.archived"  # a type the note copier did not subscribe to


class FakeMsg:
    """What `ConsumerRunner.process` reads of a NATS message, and what it answered."""

    def __init__(self, data: bytes, subject: str) -> None:
        self.data, self.subject, self.headers, self.reply = data, subject, {}, None
        self.answers: list[str] = []

    async def ack(self) -> None:
        self.answers.append("ack")

    async def term(self) -> None:
        self.answers.append("term")

    async def nak(self, delay: float = 0) -> None:
        self.answers.append("nak")


async def test_an_unknown_event_type_is_dead_lettered_before_the_handler_runs(
    notes_db: str, make_notes_app: Callable[..., object]
) -> None:
    app = make_notes_app(relay_process=False)
    async with running(app):  # type: ignore[arg-type]
        runtime = app.state.runtime  # type: ignore[attr-defined]
        calls = noteservice.Behaviour.calls
        event = build("catalog", OTHER_TYPE, "tenant-a", {"id": "n-9", "text": "archived"})
        with pytest.raises(PoisonEvent, match="catalog--note-copier does not handle vcio.catalog.note.archived"):
            await handle_once(runtime.sessionmaker, noteservice.CONSUMER, event)
        msg = FakeMsg(encode(event), OTHER_TYPE)
        await ConsumerRunner(noteservice.CONSUMER, runtime.bus, runtime.sessionmaker).process(msg)  # type: ignore[arg-type]
        assert msg.answers == ["term"]
        assert noteservice.Behaviour.calls == calls  # the handler never saw it
        assert sql(notes_db, "SELECT count(*) FROM inbox") == [(0,)]
        assert sql(notes_db, "SELECT event_id, deliveries, status FROM dead_letters") == [(event.id, 1, "dead")]


async def test_a_commit_that_wrote_events_wakes_the_relay_once(notes_db: str) -> None:
    engine = create_engine(notes_db.replace("postgresql://", "postgresql+asyncpg://", 1))
    wakes: list[int] = []
    sessionmaker = make_sessionmaker(engine, on_outbox_commit=lambda: wakes.append(1))
    try:
        async with sessionmaker() as session, session.begin():
            await session.execute(sa.text("SELECT 1"))
        assert wakes == []  # no outbox rows: no wake
        async with sessionmaker() as session, session.begin():
            await events.emit(session, "catalog", "vcio.catalog.note.created", "tenant-a", {"id": "n-1"})
        assert wakes == [1]
        async with sessionmaker() as session:
            await events.emit(session, "catalog", "vcio.catalog.note.created", "tenant-a", {"id": "n-2"})
            await session.rollback()
            await session.execute(sa.text("SELECT 1"))
            await session.commit()
        assert wakes == [1]  # rolled back: nothing to publish, and the flag went with it
        async with sessionmaker() as session:  # a session committing twice wakes for each commit with events
            await events.emit(session, "catalog", "vcio.catalog.note.created", "tenant-a", {"id": "n-3"})
            await session.commit()
            await session.execute(sa.text("SELECT 1"))
            await session.commit()
            await events.emit(session, "catalog", "vcio.catalog.note.created", "tenant-a", {"id": "n-4"})
            await session.commit()
        assert wakes == [1, 1, 1]
        assert sql(notes_db, "SELECT count(*) FROM outbox") == [(3,)]
    finally:
        await engine.dispose()
