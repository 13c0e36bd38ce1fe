import copy
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import nats
import pytest
import pytest_asyncio
from nats.js import JetStreamContext

from catalog.main import build_app
from vcio_shared.clock import FixedClock
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, PgServer, auth, eventually, running

# A term counted from 2027-02-01 (the 1st of the month after the test clock's 2027-01-04).
TODAY = dt.date(2027, 1, 4)

BODY: dict[str, Any] = {
    "name": "vCIO Core",
    "tier": "core",
    "description": "Strategy and reviews",
    "currency": "USD",
    "monthly_price": "1500.00",
    "billing_cycle": "monthly",
    "term_months": 12,
    "onboarding_fee": "500.00",
    "activities": [
        {
            "name": "IT roadmap",
            "category": "it_strategy",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=YEARLY",
            "role": "vcio",
            "effort_hours": "8",
            "deliverable": "Roadmap",
        },
        {
            "name": "QBR",
            "category": "account_management",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=MONTHLY;INTERVAL=3",
            "role": "account_manager",
            "effort_hours": "2.5",
        },
        {
            "name": "Ticket review",
            "category": "infrastructure",
            "track": "technical",
            "billing_mode": "included",
            "cadence": "FREQ=MONTHLY",
            "role": "technical_account_manager",
            "effort_hours": "1",
        },
    ],
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture
async def client(
    database_factory: Callable[[str], str], nats_url: str, clock: FixedClock
) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        "catalog", database_url=database_factory("catalog"), nats_url=nats_url, jwt_secret=TEST_SECRET
    )
    async with running(build_app(settings, clock=clock)) as c:
        yield c


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_client(pg_server: PgServer, nats_server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """One app and database for a whole module, for tests that write nothing (each pays no set-up)."""
    url = pg_server.fresh_database("catalog")
    settings = load_settings("catalog", database_url=url, nats_url=nats_server_url, jwt_secret=TEST_SECRET)
    try:
        async with running(build_app(settings, clock=FixedClock(TODAY))) as c:
            yield c
    finally:
        pg_server.drop(url)


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    """A valid package body; keyword arguments replace top-level fields."""

    def make(**changes: Any) -> dict[str, Any]:
        out = copy.deepcopy(BODY)
        out.update(changes)
        return out

    return make


Create = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def create(client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]) -> Create:
    """Create a package (and publish it when asked) as a tenant; returns the answer's JSON."""

    async def make(tenant: str = "tenant-a", publish: bool = False, **changes: Any) -> dict[str, Any]:
        r = await client.post("/v1/packages", json=body(**changes), headers=auth(tenant))
        assert r.status_code == 201, r.text
        if publish:
            r = await client.post(f"/v1/packages/{r.json()['id']}/publish", headers=auth(tenant))
            assert r.status_code == 200, r.text
        return r.json()

    return make


@pytest.fixture
async def js(client: httpx.AsyncClient, nats_url: str) -> AsyncIterator[JetStreamContext]:
    """A JetStream context once the service is connected (so its CATALOG stream exists)."""

    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready)
    nc = await nats.connect(nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()
