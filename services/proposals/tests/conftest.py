import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from proposals.main import build_app
from vcio_shared.clock import FixedClock
from vcio_shared.settings import Settings, load_settings
from vcio_shared.testing import TEST_SECRET, running

from services.proposals.tests.support import ensure_catalog_stream


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2027, 1, 4, 15, 0, tzinfo=dt.UTC))  # a Monday


@pytest.fixture
def settings(database_factory: Callable[[str], str], nats_url: str) -> Settings:
    asyncio.run(ensure_catalog_stream(nats_url))  # the catalog owns it; it exists before we consume it
    return load_settings(
        "proposals",
        database_url=database_factory("proposals"),
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
