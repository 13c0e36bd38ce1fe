"""Fixtures: a fresh scheduler database, a real nats-server with billing's stream, and a FixedClock."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # scheduler_helpers (import-mode=importlib adds no path)

from scheduler_helpers import Scheduler, create_billing_stream

from scheduler.main import build_app
from vcio_shared.clock import FixedClock
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, running


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2027, 1, 4, 15, 0, tzinfo=dt.UTC))


@pytest.fixture
async def svc(database_factory: Callable[[str], str], nats_url: str, clock: FixedClock) -> AsyncIterator[Scheduler]:
    await create_billing_stream(nats_url)
    settings = load_settings(
        "scheduler",
        database_url=database_factory("scheduler"),
        nats_url=nats_url,
        jwt_secret=TEST_SECRET,
        public_base_url="https://vcio.example",
    )
    app = build_app(settings, clock=clock)
    async with running(app) as client:
        yield Scheduler(client=client, runtime=app.state.runtime, clock=clock, nats_url=nats_url)


@pytest.fixture
async def client(svc: Scheduler) -> httpx.AsyncClient:
    return svc.client
