import copy
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import nats
import pytest
from nats.js import JetStreamContext

from strategy.main import build_app
from vcio_shared.clock import FixedClock
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, add_streams, auth, eventually, running

NOW = dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC)

STANDARD: dict[str, Any] = {
    "name": "Small office review",
    "description": "Three areas, weighted by priority",
    "sections": [
        {
            "name": "Strategy",
            "questions": [
                {"text": "Is there a roadmap?", "why": "Plans beat emergencies", "priority": "high"},
                {"text": "Is there a budget?", "priority": "medium"},
                {"text": "Are assets tracked?", "priority": "low", "internal_only": True},
            ],
        },
        {
            "name": "Security",
            "questions": [
                {"text": "Is MFA enforced?", "how_to": "Check the MFA report", "priority": "high"},
                {"text": "Are backups tested?", "priority": "high"},
                {"text": "Is there training?", "priority": "medium"},
            ],
        },
    ],
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def streams(nats_url: str) -> None:
    """The streams strategy consumes from (their services are not running here), so its consumers can bind."""
    await add_streams(nats_url, {"PROPOSALS": "proposals", "SCHEDULER": "scheduler", "BILLING": "billing"})


@pytest.fixture
async def client(
    database_factory: Callable[[str], str], nats_url: str, clock: FixedClock, streams: None
) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        "strategy", database_url=database_factory("strategy"), nats_url=nats_url, jwt_secret=TEST_SECRET
    )
    async with running(build_app(settings, clock=clock)) as c:
        yield c


@pytest.fixture
async def js(client: httpx.AsyncClient, nats_url: str) -> AsyncIterator[JetStreamContext]:
    """A JetStream context once the service is connected (so its STRATEGY stream exists)."""

    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready)
    nc = await nats.connect(nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


Post = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def standard_body() -> Callable[..., dict[str, Any]]:
    def make(**changes: Any) -> dict[str, Any]:
        out = copy.deepcopy(STANDARD)
        out.update(changes)
        return out

    return make


@pytest.fixture
def create_standard(client: httpx.AsyncClient, standard_body: Callable[..., dict[str, Any]]) -> Post:
    """Create a standard (and publish it when asked) as a tenant; the answer's JSON."""

    async def make(tenant: str = "tenant-a", publish: bool = True, **changes: Any) -> dict[str, Any]:
        r = await client.post("/v1/standards", json=standard_body(**changes), headers=auth(tenant))
        assert r.status_code == 201, r.text
        if publish:
            r = await client.post(f"/v1/standards/{r.json()['id']}/publish", headers=auth(tenant))
            assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    return make
