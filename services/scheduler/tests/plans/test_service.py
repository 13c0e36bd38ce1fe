"""Agreements become plans: activation, cancellation, package change, renewal, holidays, month ends."""

import datetime as dt
import uuid

from scheduler_helpers import TENANT, Scheduler, activity, auth_headers, billing_event

from vcio_shared.testing import eventually


async def test_activation_plans_one_activity_per_occurrence_with_weekends_moved(svc: Scheduler) -> None:
    # 2027-01-02 is a Saturday: the first monthly and quarterly occurrences are due Monday 4 January
    data = await svc.activate(
        start="2027-01-02",
        end="2027-07-02",
        activities=[
            activity("Monthly ticket review", "FREQ=MONTHLY", "technical_account_manager", "1.5"),
            activity("Quarterly business review", "FREQ=MONTHLY;INTERVAL=3", "vcio", "3"),
        ],
    )
    items = await svc.activities(data["agreement_id"])
    assert [(a["name"], a["occurrence_date"], a["due_date"]) for a in items] == [
        ("Monthly ticket review", "2027-01-02", "2027-01-04"),
        ("Quarterly business review", "2027-01-02", "2027-01-04"),
        ("Monthly ticket review", "2027-02-02", "2027-02-02"),
        ("Monthly ticket review", "2027-03-02", "2027-03-02"),
        ("Monthly ticket review", "2027-04-02", "2027-04-02"),
        ("Quarterly business review", "2027-04-02", "2027-04-02"),
        ("Monthly ticket review", "2027-05-02", "2027-05-03"),
        ("Monthly ticket review", "2027-06-02", "2027-06-02"),
    ]
    first = items[0]
    assert first["status"] == "planned"
    assert first["client_id"] == data["client"]["id"]
    assert first["effort_hours"] == "1.50"
    assert first["category"] == "it_strategy"
    assert first["role"] == "technical_account_manager"
    assert first["assignee_id"] is None


async def test_activation_emits_plan_created_with_the_count(svc: Scheduler) -> None:
    data = await svc.activate(activities=[activity(cadence="FREQ=MONTHLY"), activity("QBR", "FREQ=MONTHLY;INTERVAL=3")])
    events = await svc.outbox("vcio.scheduler.plan.created")
    assert [e["data"] for e in events] == [
        {"agreement_id": data["agreement_id"], "client_id": data["client"]["id"], "activities": 16}
    ]
    assert events[0]["tenantid"] == TENANT


async def test_cancellation_cancels_open_activities_on_or_after_the_effective_date(svc: Scheduler) -> None:
    data = await svc.activate(start="2027-01-04", end="2028-01-04")
    items = await svc.activities(data["agreement_id"])
    # 2027-03-04 is completed before the cancellation, and stays completed
    march = next(a for a in items if a["due_date"] == "2027-03-04")
    svc.clock.set(dt.datetime(2027, 3, 4, 16, tzinfo=dt.UTC))
    r = await svc.client.post(
        f"/v1/activities/{march['id']}/complete", json={"outcome": "Done"}, headers=auth_headers()
    )
    assert r.status_code == 200
    await svc.publish(
        billing_event(
            "vcio.billing.agreement.cancelled",
            {"agreement_id": data["agreement_id"], "client_id": data["client"]["id"], "effective_date": "2027-03-01"},
        )
    )

    async def cancelled() -> bool:
        return await svc.scalar("SELECT count(*) FROM activities WHERE status = 'cancelled'") == 9

    await eventually(cancelled)
    items = await svc.activities(data["agreement_id"])
    assert [(a["due_date"], a["status"]) for a in items[:4]] == [
        ("2027-01-04", "planned"),
        ("2027-02-04", "planned"),
        ("2027-03-04", "completed"),
        ("2027-04-05", "cancelled"),
    ]
    plan = (await svc.client.get(f"/v1/plans/{data['agreement_id']}", headers=auth_headers())).json()
    assert plan["status"] == "cancelled"
    assert plan["cancelled_from"] == "2027-03-01"
    assert plan["by_status"] == {"planned": 2, "completed": 1, "cancelled": 9}


async def test_package_change_replans_only_the_open_future(svc: Scheduler) -> None:
    data = await svc.activate(
        start="2027-01-04",
        end="2028-01-04",
        activities=[
            activity("Monthly ticket review", "FREQ=MONTHLY", "technical_account_manager", "1"),
            activity("Quarterly business review", "FREQ=MONTHLY;INTERVAL=3", "vcio", "3"),
        ],
    )
    changed = {
        "agreement_id": data["agreement_id"],
        "client_id": data["client"]["id"],
        "effective_date": "2027-06-01",
        "package": {"id": str(uuid.uuid4()), "version": 2, "name": "vCIO Plus"},
        "monthly_amount": "2500.00",
        "currency": "USD",
        "activities": [
            activity("Monthly ticket review", "FREQ=MONTHLY", "technical_account_manager", "2"),
            activity("Annual roadmap", "FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=15", "vcio", "8"),
        ],
    }
    event = billing_event("vcio.billing.agreement.changed", changed)
    await svc.publish_and_wait(event)
    assert await svc.handle(event) is False  # redelivered: nothing more
    items = await svc.activities(data["agreement_id"])
    qbrs = [(a["due_date"], a["status"]) for a in items if a["name"] == "Quarterly business review"]
    assert qbrs == [
        ("2027-01-04", "planned"),
        ("2027-04-05", "planned"),
        ("2027-07-05", "cancelled"),
        ("2027-10-04", "cancelled"),
    ]
    roadmap = [(a["due_date"], a["status"], a["effort_hours"]) for a in items if a["name"] == "Annual roadmap"]
    assert roadmap == [("2027-09-15", "planned", "8.00")]
    reviews = [(a["due_date"], a["effort_hours"]) for a in items if a["name"] == "Monthly ticket review"]
    assert len(reviews) == 12
    assert reviews[4] == ("2027-05-04", "1.00")  # before the change: as planned
    assert reviews[5] == ("2027-06-04", "2.00")  # after: the new version's effort
    plan = (await svc.client.get(f"/v1/plans/{data['agreement_id']}", headers=auth_headers())).json()
    assert (plan["package_version"], plan["package_name"]) == (2, "vCIO Plus")
    assert [e["data"]["added"] for e in await svc.outbox("vcio.scheduler.plan.changed")] == [1]


async def test_renewal_extends_the_plan_over_the_new_term(svc: Scheduler) -> None:
    data = await svc.activate(
        start="2027-01-04", end="2028-01-04", activities=[activity("QBR", "FREQ=MONTHLY;INTERVAL=3", "vcio", "3")]
    )
    renewed = {
        "agreement_id": data["agreement_id"],
        "client_id": data["client"]["id"],
        "previous_end_date": "2028-01-04",
        "start_date": "2028-01-04",
        "end_date": "2029-01-04",
        "term_months": 12,
        "client": data["client"],
        "activities": data["activities"],
    }
    event = billing_event("vcio.billing.agreement.renewed", renewed)
    await svc.publish_and_wait(event)
    assert await svc.handle(event) is False
    items = await svc.activities(data["agreement_id"])
    assert [a["due_date"] for a in items] == [
        "2027-01-04",
        "2027-04-05",
        "2027-07-05",
        "2027-10-04",
        "2028-01-04",
        "2028-04-04",
        "2028-07-04",
        "2028-10-04",
    ]
    plan = (await svc.client.get(f"/v1/plans/{data['agreement_id']}", headers=auth_headers())).json()
    assert (plan["term_start"], plan["end_date"]) == ("2028-01-04", "2029-01-04")


async def test_tenant_holiday_calendar_moves_occurrences_to_the_next_business_day(svc: Scheduler) -> None:
    r = await svc.client.put("/v1/settings", json={"holiday_country": "US"}, headers=auth_headers())
    assert r.status_code == 200
    assert r.json()["holiday_country"] == "US"
    # 2027-07-05 is the observed Independence Day (4 July is a Sunday), 2027-12-24 the observed Christmas
    data = await svc.activate(
        start="2027-01-01",
        end="2028-01-01",
        activities=[activity("Monthly ticket review", "FREQ=MONTHLY;BYMONTHDAY=4")],
    )
    due = [a["due_date"] for a in await svc.activities(data["agreement_id"])]
    assert due == [
        "2027-01-04",
        "2027-02-04",
        "2027-03-04",
        "2027-04-05",
        "2027-05-04",
        "2027-06-04",
        "2027-07-06",
        "2027-08-04",
        "2027-09-07",
        "2027-10-04",
        "2027-11-04",
        "2027-12-06",
    ]


async def test_tenant_month_end_last_day_plans_every_month_from_a_31st(svc: Scheduler) -> None:
    r = await svc.client.put("/v1/settings", json={"month_end": "last_day"}, headers=auth_headers())
    assert r.json()["month_end"] == "last_day"
    data = await svc.activate(start="2027-01-31", end="2027-07-31", activities=[activity(cadence="FREQ=MONTHLY")])
    due = [a["due_date"] for a in await svc.activities(data["agreement_id"])]
    assert due == ["2027-02-01", "2027-03-01", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"]


async def test_by_default_a_monthly_plan_from_a_31st_skips_shorter_months(svc: Scheduler) -> None:
    data = await svc.activate(start="2027-01-31", end="2027-07-31", activities=[activity(cadence="FREQ=MONTHLY")])
    due = [a["due_date"] for a in await svc.activities(data["agreement_id"])]
    assert due == ["2027-02-01", "2027-03-31", "2027-05-31"]
