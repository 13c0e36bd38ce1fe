import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # billing_helpers (import-mode=importlib adds no path)

import datetime as dt
from collections.abc import AsyncIterator, Callable

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.js.api import StreamConfig

from billing.main import build_app
from vcio_shared.clock import FixedClock
from vcio_shared.settings import Settings, load_settings
from vcio_shared.testing import TEST_SECRET, running


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2027, 1, 4, 3, 0, tzinfo=dt.UTC))


@pytest.fixture
def settings(database_factory: Callable[[str], str], nats_url: str) -> Settings:
    return load_settings("billing", database_url=database_factory("billing"), nats_url=nats_url, jwt_secret=TEST_SECRET)


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> FastAPI:
    """The app without its background relay, consumers and sweeps: tests drive them."""
    return build_app(settings, clock=clock, run_background=False)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as c:
        yield c


@pytest.fixture
async def live(settings, clock) -> AsyncIterator[tuple]:
    """The app with its consumers running, and a NATS connection with the other services' streams."""
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    for name in ("PROPOSALS", "SCHEDULER"):
        await js.add_stream(StreamConfig(name=name, subjects=[f"vcio.{name.lower()}.>"], duplicate_window=120))
    app = build_app(settings, clock=clock, run_background=True)
    async with running(app) as client:
        yield app, client, js
    await nc.close()
