"""proposals' events over JetStream: acceptance makes one agreement (redelivered or republished), a
foreign tenant's client is dead-lettered, client.updated changes the tax rate once."""

import datetime as dt

import sqlalchemy as sa
from billing_helpers import accepted, agreements, publish, run, stream_events

from vcio_shared.events import build
from vcio_shared.ids import uuid7
from vcio_shared.testing import auth, eventually


async def published(app, js, subject: str) -> list:
    """The events billing has published on a subject: once the relay has drained the outbox (it deletes what
    JetStream acked), every committed event is in the BILLING stream, the event log."""

    async def drained() -> bool:
        async with app.state.runtime.sessionmaker() as s:
            return await s.scalar(sa.text("SELECT NOT EXISTS (SELECT FROM outbox)"))

    await eventually(drained)
    return await stream_events(js, subject)


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
