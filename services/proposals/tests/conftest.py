import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from proposals.main import build_app
from services.proposals.tests.support import ensure_catalog_stream
from vcio_shared.clock import FixedClock
from vcio_shared.settings import Settings, load_settings
from vcio_shared.testing import TEST_SECRET, PgServer, running


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2027, 1, 4, 15, 0, tzinfo=dt.UTC))  # a Monday


@pytest.fixture(scope="session")
def _session_database(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.fresh_database("proposals")
    yield url
    pg_server.drop(url)


@pytest.fixture
def proposals_database(_session_database: str) -> str:
    """A migrated database emptied before each test: as fresh as a new one, without the cost of making one.

    Every table is truncated (identities restarted), so no test sees another's rows, outbox or inbox.
    """
    with psycopg.connect(_session_database, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        quoted = ", ".join('"' + t + '"' for t in tables)
        conn.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    return _session_database


@pytest.fixture
def settings(proposals_database: str, nats_url: str) -> Settings:
    asyncio.run(ensure_catalog_stream(nats_url))  # the catalog owns it; it exists before we consume it
    return load_settings(
        "proposals",
        database_url=proposals_database,
        nats_url=nats_url,
        jwt_secret=TEST_SECRET,
        public_base_url="http://testserver",
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> FastAPI:
    return build_app(settings, clock=clock)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as c:
        yield c
