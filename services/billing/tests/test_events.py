"""Consumed events end to end over JetStream; redelivery has one effect; a foreign tenant's event is refused."""

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import nats
import pytest
import sqlalchemy as sa
from billing_helpers import accepted, run, stream_events
from nats.js.api import StreamConfig

from billing.main import build_app
from vcio_shared.events import build, encode
from vcio_shared.ids import uuid7
from vcio_shared.testing import auth, eventually, running


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


async def publish(js, event, msg_id=None) -> None:
    await js.publish(event.type, encode(event), headers={"Nats-Msg-Id": msg_id or event.id})


async def published(app, js, subject: str) -> list:
    """The events billing has published on a subject: once the relay has drained the outbox (it deletes what
    JetStream acked), every committed event is in the BILLING stream, the event log."""

    async def drained() -> bool:
        async with app.state.runtime.sessionmaker() as s:
            return await s.scalar(sa.text("SELECT NOT EXISTS (SELECT FROM outbox)"))

    await eventually(drained)
    return await stream_events(js, subject)


async def agreements(client: httpx.AsyncClient, tenant: str = "tenant-a") -> list[dict]:
    return (await client.get("/v1/agreements", headers=auth(tenant))).json()["items"]


async def test_accepted_proposal_over_jetstream_becomes_one_agreement(live) -> None:
    app, client, js = live
    event = accepted(start="2027-01-15", term=12)
    await publish(js, event)
    [agreement] = await eventually(lambda: agreements(client))
    assert (
        agreement["proposal_id"],
        agreement["status"],
        agreement["start_date"],
        agreement["end_date"],
        agreement["monthly_amount"],
        agreement["currency"],
    ) == (event.data["proposal_id"], "active", "2027-01-15", "2028-01-15", "1500.00", "USD")


async def test_redelivered_and_republished_acceptance_makes_one_agreement(live) -> None:
    app, client, js = live
    event = accepted()
    await publish(js, event)
    await publish(js, event, msg_id=str(uuid7()))  # past the duplicate window: the inbox catches it
    twin = build("proposals", event.type, event.tenantid, event.data)  # a new event id, same proposal
    await publish(js, twin)

    async def handled() -> bool:
        async with app.state.runtime.sessionmaker() as s:
            return await s.scalar(sa.text("SELECT count(*) FROM inbox")) == 2

    await eventually(handled)
    [agreement] = await agreements(client)
    activated = await published(app, js, "vcio.billing.agreement.activated")
    assert [e.data["agreement_id"] for e in activated] == [agreement["id"]]


async def test_acceptance_claiming_another_tenants_client_is_dead_lettered(live) -> None:
    app, client, js = live
    first = accepted("tenant-a")
    await publish(js, first)
    await eventually(lambda: agreements(client))
    intruder = accepted("tenant-b", client_id=__import__("uuid").UUID(first.data["client"]["id"]))
    await publish(js, intruder)

    async def dead() -> list:
        return (await client.get("/v1/dead-letters", headers=auth("tenant-b"))).json()["items"]

    [letter] = await eventually(dead)
    assert "another tenant" in letter["error"]
    assert await agreements(client, "tenant-b") == []


async def test_activation_event_carries_client_and_activities(live) -> None:
    app, client, js = live
    await publish(js, accepted())
    await eventually(lambda: agreements(client))
    sub = await js.subscribe("vcio.billing.agreement.activated", stream="BILLING", ordered_consumer=True)
    msg = await sub.next_msg(timeout=10)
    data = __import__("orjson").loads(msg.data)["data"]
    assert data["client"]["name"] == "Acme Dental"
    assert data["activities"][0]["cadence"] == "FREQ=MONTHLY;INTERVAL=3"
    assert msg.headers["Nats-Msg-Id"] == __import__("orjson").loads(msg.data)["id"]


async def test_completed_activity_shows_on_the_next_invoice_once(live, clock) -> None:
    app, client, js = live
    event = accepted(start="2027-01-01")
    await publish(js, event)
    [agreement] = await eventually(lambda: agreements(client))
    activity = build(
        "scheduler",
        "vcio.scheduler.activity.completed",
        "tenant-a",
        {
            "id": str(uuid7()),
            "agreement_id": agreement["id"],
            "client_id": agreement["client_id"],
            "name": "Quarterly business review",
            "category": "it_strategy",
            "track": "business",
            "billing_mode": "billable",
            "role": "vcio",
            "due_date": "2027-01-18",
            "completed_at": "2027-01-18T15:00:00+00:00",
            "outcome": "Roadmap agreed",
            "hours_spent": "2.50",
            "deliverable_links": [],
        },
    )
    await publish(js, activity)
    await publish(js, activity, msg_id=str(uuid7()))

    async def stored() -> bool:
        async with app.state.runtime.sessionmaker() as s:
            return await s.scalar(sa.text("SELECT count(*) FROM inbox WHERE consumer = 'billing--scheduler'")) == 1

    await eventually(stored)
    clock.set(dt.datetime(2027, 2, 1, 3, tzinfo=dt.UTC))
    await run(client, dt.date(2027, 2, 1))
    invs = (await client.get("/v1/invoices", params={"agreement_id": agreement["id"]}, headers=auth())).json()["items"]
    feb = next(i for i in invs if i["period_start"] == "2027-02-01")
    detail = (await client.get(f"/v1/invoices/{feb['id']}", headers=auth())).json()
    assert [(a["name"], a["completed_on"], a["hours_spent"]) for a in detail["value_delivered"]["activities"]] == [
        ("Quarterly business review", "2027-01-18", "2.50")
    ]
    html = (await client.get(f"/v1/invoices/{feb['id']}/html", headers=auth())).text
    assert "Roadmap agreed" in html
    value = (
        await client.get(
            "/v1/metrics/activity-value", params={"from": "2027-01-01", "to": "2027-02-01"}, headers=auth()
        )
    ).json()["items"]
    assert value == [
        {"billing_mode": "billable", "driver": "revenue", "activities": 1, "hours": "2.50"},
        {"billing_mode": "included", "driver": "cost", "activities": 0, "hours": "0.00"},
    ]


async def test_completed_activity_of_another_tenants_agreement_is_dead_lettered(live) -> None:
    app, client, js = live
    await publish(js, accepted("tenant-a"))
    [agreement] = await eventually(lambda: agreements(client))
    activity = build(
        "scheduler",
        "vcio.scheduler.activity.completed",
        "tenant-b",
        {
            "id": str(uuid7()),
            "agreement_id": agreement["id"],
            "client_id": agreement["client_id"],
            "name": "x",
            "completed_at": "2027-01-18T15:00:00+00:00",
            "hours_spent": "1.00",
        },
    )
    await publish(js, activity)

    async def dead() -> list:
        return (await client.get("/v1/dead-letters", headers=auth("tenant-b"))).json()["items"]

    assert len(await eventually(dead)) == 1


async def test_client_updated_over_jetstream_changes_the_tax_rate_once(live) -> None:
    app, client, js = live
    event = accepted(start="2027-01-01")
    await publish(js, event)
    await eventually(lambda: agreements(client))
    updated = build("proposals", "vcio.proposals.client.updated", "tenant-a", {**event.data["client"], "tax_rate": "5"})
    await publish(js, updated)
    await publish(js, updated, msg_id=str(uuid7()))

    async def handled() -> bool:
        async with app.state.runtime.sessionmaker() as s:
            return await s.scalar(sa.text("SELECT tax_rate FROM clients")) == "5"

    await eventually(handled)
    await run(client, dt.date(2027, 1, 1))
    [inv] = (await client.get("/v1/invoices", headers=auth())).json()["items"]
    assert (inv["tax"], inv["total"]) == ("75.00", "1575.00")
    async with app.state.runtime.sessionmaker() as s:
        assert await s.scalar(sa.text("SELECT count(*) FROM inbox WHERE event_id = :e"), {"e": updated.id}) == 1
