import uuid

import httpx
import nats
from fastapi import FastAPI
from nats.js.errors import NotFoundError
from sqlalchemy import text

from services.proposals.tests.support import (
    create_client,
    package_event,
    publish,
    retired_event,
    seed,
)
from vcio_shared.events import build
from vcio_shared.testing import auth, eventually


async def _copy(client: httpx.AsyncClient, package_id: str, tenant: str = "tenant-a") -> httpx.Response:
    return await client.get(f"/v1/catalog/packages/{package_id}", headers=auth(tenant))


async def test_published_event_on_jetstream_makes_our_copy(client: httpx.AsyncClient, nats_url: str) -> None:
    event = package_event()
    await publish(nats_url, event)

    async def arrived() -> bool:
        return (await _copy(client, event.data["id"])).status_code == 200

    await eventually(arrived)
    copy = (await _copy(client, event.data["id"])).json()
    assert (copy["name"], copy["version"], copy["status"]) == ("vCIO Essentials", 1, "published")
    assert (copy["monthly_price"], copy["onboarding_fee"], copy["currency"]) == ("1500.00", "500.00", "USD")
    assert [a["name"] for a in copy["activities"]] == [a["name"] for a in event.data["activities"]]


async def test_the_same_event_delivered_twice_makes_one_copy(
    client: httpx.AsyncClient, app: FastAPI, nats_url: str
) -> None:
    event = package_event()
    await publish(nats_url, event)
    # A redelivery after the stream's duplicate window: same event id, new message.
    await publish(nats_url, event, msg_id=f"{event.id}-again")
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()

        async def both_acked() -> bool:
            try:
                info = await js.consumer_info("CATALOG", "proposals--catalog")
            except NotFoundError:  # the app's runner has not created its durable consumer yet (a slow start)
                return False
            return info.ack_floor.stream_seq == 2

        await eventually(both_acked)
    finally:
        await nc.close()
    listed = (await client.get("/v1/catalog/packages", headers=auth())).json()["items"]
    assert [(p["id"], p["version"]) for p in listed] == [(event.data["id"], 1)]
    async with app.state.runtime.sessionmaker() as session:
        inbox = await session.scalar(
            text("SELECT count(*) FROM inbox WHERE consumer = 'proposals--catalog' AND event_id = :e"), {"e": event.id}
        )
    assert inbox == 1


async def test_retired_event_marks_the_version_retired(client: httpx.AsyncClient, nats_url: str) -> None:
    event = package_event()
    await publish(nats_url, event)
    await publish(nats_url, retired_event("tenant-a", event.data["id"]))

    async def retired() -> bool:
        r = await _copy(client, event.data["id"])
        return r.status_code == 200 and r.json()["status"] == "retired"

    await eventually(retired)
    assert (await client.get("/v1/catalog/packages", headers=auth())).json()["items"] == []
    everything = (await client.get("/v1/catalog/packages?include_retired=true", headers=auth())).json()["items"]
    assert [p["status"] for p in everything] == ["retired"]


async def test_a_retired_package_cannot_be_proposed(client: httpx.AsyncClient, app: FastAPI) -> None:
    package_id = await seed(app, package_event())
    await seed(app, retired_event("tenant-a", package_id))
    c = await create_client(client)
    r = await client.post(
        "/v1/proposals",
        json={"client_id": c["id"], "package_id": package_id, "start_date": "2027-02-01"},
        headers=auth(),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "package_id"]


async def test_an_invalid_package_event_is_dead_lettered(client: httpx.AsyncClient, nats_url: str) -> None:
    bad = build(
        "catalog",
        "vcio.catalog.package.published",
        "tenant-a",
        {
            "id": str(uuid.uuid4()),
            "version": 1,
            "name": "Broken",
            "currency": "USD",
            "monthly_price": "15.999",
            "billing_cycle": "monthly",
            "term_months": 12,
            "activities": [],
        },
    )
    await publish(nats_url, bad)

    async def dead() -> list:
        return (await client.get("/v1/dead-letters", headers=auth())).json()["items"]

    letters = await eventually(dead)
    assert [(d["consumer"], d["event_id"]) for d in letters] == [("proposals--catalog", bad.id)]
    assert (await _copy(client, bad.data["id"])).status_code == 404


async def test_unknown_fields_in_a_package_event_are_ignored(client: httpx.AsyncClient, app: FastAPI) -> None:
    event = package_event()
    event.data["marketing_blurb"] = "additive change"
    await seed(app, event)
    assert (await _copy(client, event.data["id"])).status_code == 200


async def test_another_tenants_package_is_invisible(client: httpx.AsyncClient, app: FastAPI) -> None:
    package_id = await seed(app, package_event("tenant-b"))
    assert (await _copy(client, package_id, "tenant-a")).status_code == 404
    assert (await client.get("/v1/catalog/packages", headers=auth("tenant-a"))).json()["items"] == []
    assert (await _copy(client, package_id, "tenant-b")).status_code == 200


async def test_an_older_version_is_still_readable(client: httpx.AsyncClient, app: FastAPI) -> None:
    package_id = uuid.uuid4()
    await seed(app, package_event(package_id=package_id, version=1, monthly_price="1500.00"))
    await seed(app, package_event(package_id=package_id, version=2, monthly_price="1800.00"))
    latest = (await _copy(client, str(package_id))).json()
    older = (await client.get(f"/v1/catalog/packages/{package_id}?version=1", headers=auth())).json()
    assert (latest["version"], latest["monthly_price"]) == (2, "1800.00")
    assert (older["version"], older["monthly_price"]) == (1, "1500.00")
