"""scheduler's activity.completed over JetStream: the activity shows on the next invoice once; another
tenant's agreement is refused."""

import datetime as dt

import sqlalchemy as sa
from billing_helpers import accepted, agreements, publish, run

from vcio_shared.events import build
from vcio_shared.ids import uuid7
from vcio_shared.testing import auth, eventually


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
