import asyncio
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import psycopg
import pytest
import sqlalchemy as sa

from shared.tests import noteservice
from vcio_shared.runtime import create_app
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, PgServer, running


@pytest.fixture
def notes_db(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.empty_database("notes")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    noteservice.registry.metadata.create_all(engine)
    engine.dispose()
    yield url
    pg_server.drop(url)


@pytest.fixture
def make_notes_app(notes_db: str, nats_url: str) -> Callable[..., object]:
    def make(nats: str | None = None, **overrides: object) -> object:
        values = {"database_url": notes_db, "nats_url": nats or nats_url, "jwt_secret": TEST_SECRET, **overrides}
        settings = load_settings("catalog", **values)
        return create_app(noteservice.SPEC, settings)

    return make


@pytest.fixture(autouse=True)
def _reset_behaviour() -> None:
    noteservice.Behaviour.transient_failures = 0
    noteservice.Behaviour.calls = 0


@pytest.fixture
async def notes(make_notes_app: Callable[..., object]) -> AsyncIterator[httpx.AsyncClient]:
    async with running(make_notes_app()) as client:  # type: ignore[arg-type]
        await asyncio.wait_for(client._transport.app.state.runtime.bus.connected.wait(), 10)  # type: ignore[attr-defined]
        yield client


def sql(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()
