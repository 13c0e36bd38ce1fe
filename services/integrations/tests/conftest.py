import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from integrations.main import build_app
from integrations.streams import STREAMS
from vcio_shared.clock import FixedClock
from vcio_shared.events import build, encode
from vcio_shared.runtime import Runtime
from vcio_shared.settings import Settings, load_settings
from vcio_shared.testing import TEST_SECRET, add_streams, eventually, running

sys.path.insert(0, str(Path(__file__).parent))


from integrations_helpers import START, TEST_SECRETS_KEY, Publish, Receiver, Service, receiver_process  # noqa: E402


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def streams(nats_url: str) -> None:
    """The streams the four other services own (they are not running here), and this service's own."""
    await add_streams(nats_url, STREAMS)


@pytest.fixture
def settings(database_factory: Callable[[str], str], nats_url: str) -> Settings:
    """Private addresses allowed: the receiver listens on 127.0.0.1 (the SSRF tests turn it off)."""
    return load_settings(
        "integrations",
        database_url=database_factory("integrations"),
        nats_url=nats_url,
        jwt_secret=TEST_SECRET,
        secrets_key=TEST_SECRETS_KEY,
        webhooks_allow_private=True,
    )


@pytest.fixture
async def service(settings: Settings, clock: FixedClock, streams: None) -> AsyncIterator[Service]:
    app = build_app(settings, clock=clock)
    async with running(app) as http:
        runtime: Runtime = app.state.runtime
        await eventually(lambda: runtime.bus.is_connected)
        yield Service(http, runtime, clock)


@pytest.fixture
async def client(service: Service) -> httpx.AsyncClient:
    return service.http


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiver_process() as handle:
        yield handle


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    """A second receiver process, with its own answers and delay."""
    with receiver_process() as handle:
        yield handle


@pytest.fixture
async def publish(nats_url: str, streams: None) -> AsyncIterator[Publish]:
    """Publish a real CloudEvent on its stream, as its service's relay does; returns the bytes sent."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()

    async def send(type_: str, data: dict[str, Any], tenant: str = "tenant-a") -> bytes:
        event = build(type_.split(".")[1], type_, tenant, data, now=START)
        payload = encode(event)
        await js.publish(type_, payload, headers={"Nats-Msg-Id": event.id})
        return payload

    try:
        yield send
    finally:
        await nc.close()
