"""Runtime.stop is bounded: a service asked to stop (SIGTERM, a deploy) stops, whatever its workers do."""

import asyncio
import time

import pytest

from shared.tests import noteservice
from vcio_shared import runtime as runtime_module
from vcio_shared.runtime import Runtime
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET


async def test_a_worker_that_swallows_its_cancellation_does_not_hold_the_stop(
    notes_db: str, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_module, "STOP_WAIT_S", 0.5, raising=False)
    settings = load_settings("catalog", database_url=notes_db, nats_url=nats_url, jwt_secret=TEST_SECRET)
    runtime = Runtime(noteservice.SPEC, settings)
    await runtime.start()
    swallowed = asyncio.Event()
    release = asyncio.Event()

    async def stubborn() -> None:  # a loop that catches everything, as a careless worker (or nats-py's fetch) can
        while not release.is_set():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                swallowed.set()

    runtime.spawn(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    started = time.monotonic()
    await asyncio.wait_for(runtime.stop(), 30)  # before: awaited the task for ever
    took = time.monotonic() - started
    release.set()
    assert swallowed.is_set()
    assert took < 5, took
