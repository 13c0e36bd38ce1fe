"""The outbox relay as a child process (VCIO_RELAY_PROCESS=1): woken by the parent, restarted, stopped with it."""

import asyncio
import os
import signal
import time
from collections.abc import Callable

import nats

from shared.tests.conftest import sql
from vcio_shared.relay import RelayProcess
from vcio_shared.testing import auth, eventually, running

SUBJECT = "vcio.catalog.note.created"


async def stream_count(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().stream_info("CATALOG", subjects_filter=SUBJECT)
        return int((info.state.subjects or {}).get(SUBJECT, 0))
    finally:
        await nc.close()


async def has(count: "asyncio.Future[int] | object", expected: int) -> bool:
    return await count == expected  # type: ignore[misc]


async def test_the_child_relay_publishes_is_restarted_and_stops_with_the_service(
    make_notes_app: Callable[..., object], notes_db: str, nats_url: str
) -> None:
    # It would look at the outbox on its own only every 60 s: each event below arrives because a commit woke it.
    app = make_notes_app(relay_process=True, relay_poll_interval=60)
    async with running(app) as client:  # type: ignore[arg-type]
        relay = app.state.runtime.relay  # type: ignore[attr-defined]
        assert isinstance(relay, RelayProcess)
        first = relay.proc
        assert first is not None and first.pid != os.getpid()

        started = time.monotonic()
        await asyncio.sleep(0)
        for i in range(3):
            assert (await client.post("/v1/notes", json={"text": f"n{i}"}, headers=auth())).status_code == 201
        await eventually(lambda: has(stream_count(nats_url), 3), timeout=30)
        await eventually(lambda: sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)])  # deleted once acked

        first.send_signal(signal.SIGKILL)
        await eventually(lambda: relay.restarts == 1, timeout=15)
        assert relay.proc is not None and relay.proc.pid != first.pid
        assert (await client.post("/v1/notes", json={"text": "after"}, headers=auth())).status_code == 201
        await eventually(lambda: has(stream_count(nats_url), 4), timeout=30)
        await eventually(lambda: sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)])
        assert await stream_count(nats_url) == 4  # once each
        await asyncio.sleep(1)  # the child is idle now, waiting out its 60 s poll: only a wake-up moves it
        assert (await client.post("/v1/notes", json={"text": "woken"}, headers=auth())).status_code == 201
        await eventually(lambda: has(stream_count(nats_url), 5), timeout=10)
        child = relay.proc
        assert time.monotonic() - started < 60
    assert child.poll() is not None  # the service stopped; so did its relay (the pipe closed)
    assert relay.restarts == 1
