"""Staff and the capacity report with exact hours."""

import uuid

from scheduler_helpers import OTHER, Scheduler, activity, auth_headers

H = auth_headers()


async def test_create_and_read_a_staff_member(svc: Scheduler) -> None:
    r = await svc.client.post(
        "/v1/staff",
        json={
            "name": "Dana Reyes",
            "email": "dana@msp.test",
            "roles": ["vcio", "account_manager"],
            "weekly_capacity_hours": "32.5",
        },
        headers=H,
    )
    assert r.status_code == 201
    body = r.json()
    assert (body["name"], body["roles"], body["weekly_capacity_hours"], body["active"]) == (
        "Dana Reyes",
        ["vcio", "account_manager"],
        "32.50",
        True,
    )
    got = await svc.client.get(f"/v1/staff/{body['id']}", headers=H)
    assert got.json() == body
    audit = (await svc.client.get("/v1/audit", params={"entity_id": body["id"]}, headers=H)).json()["items"]
    assert [a["action"] for a in audit] == ["staff.created"]


async def test_create_staff_honours_idempotency_key(svc: Scheduler) -> None:
    body = {"name": "Dana", "roles": ["vcio"], "weekly_capacity_hours": "40"}
    h = {**H, "Idempotency-Key": "k-1"}
    first = await svc.client.post("/v1/staff", json=body, headers=h)
    again = await svc.client.post("/v1/staff", json=body, headers=h)
    assert again.status_code == 201
    assert again.json() == first.json()
    other = await svc.client.post("/v1/staff", json={**body, "name": "Eli"}, headers=h)
    assert other.status_code == 422
    assert len((await svc.client.get("/v1/staff", headers=H)).json()["items"]) == 1


async def test_bad_staff_is_422(client) -> None:
    for body in [
        {"name": "x", "roles": [], "weekly_capacity_hours": "40"},
        {"name": "x", "roles": ["cto"], "weekly_capacity_hours": "40"},
        {"name": "x", "roles": ["vcio", "vcio"], "weekly_capacity_hours": "40"},
        {"name": "x", "roles": ["vcio"], "weekly_capacity_hours": "169"},
        {"name": "x", "roles": ["vcio"], "weekly_capacity_hours": "-1"},
        {"name": "x", "roles": ["vcio"], "weekly_capacity_hours": "40", "email": "nope"},
        {"name": "", "roles": ["vcio"], "weekly_capacity_hours": "40"},
        {"name": "x", "roles": ["vcio"], "weekly_capacity_hours": "40", "boss": True},
    ]:
        r = await client.post("/v1/staff", json=body, headers=H)
        assert r.status_code == 422, body


async def test_update_staff_member_and_filter_by_role(svc: Scheduler) -> None:
    dana = await svc.add_staff("Dana", ["vcio"], "40")
    await svc.add_staff("Eli", ["engineer"], "40")
    r = await svc.client.patch(f"/v1/staff/{dana}", json={"weekly_capacity_hours": "20", "active": False}, headers=H)
    assert (r.json()["weekly_capacity_hours"], r.json()["active"]) == ("20.00", False)
    names = [
        s["name"] for s in (await svc.client.get("/v1/staff", params={"role": "engineer"}, headers=H)).json()["items"]
    ]
    assert names == ["Eli"]
    assert (await svc.client.patch(f"/v1/staff/{dana}", json={"name": None}, headers=H)).status_code == 422


async def test_another_tenants_staff_member_is_404(svc: Scheduler) -> None:
    dana = await svc.add_staff("Dana", ["vcio"], "40")
    other = auth_headers(OTHER)
    assert (await svc.client.get(f"/v1/staff/{dana}", headers=other)).status_code == 404
    assert (await svc.client.patch(f"/v1/staff/{dana}", json={"name": "X"}, headers=other)).status_code == 404
    assert (await svc.client.get("/v1/staff", headers=other)).json()["items"] == []
    r = await svc.client.get(
        "/v1/capacity", params={"from": "2027-01-04", "to": "2027-01-11", "staff_id": dana}, headers=other
    )
    assert r.status_code == 404


async def test_weekly_capacity_report_has_exact_hours_and_flags_overbooking(svc: Scheduler) -> None:
    dana = await svc.add_staff("Dana", ["vcio"], "12")
    await svc.activate(
        start="2027-01-04",
        end="2027-02-01",
        activities=[
            activity("Strategy session", "FREQ=WEEKLY", "vcio", "7.5"),
            activity("Roadmap workshop", "FREQ=MONTHLY", "vcio", "6.25"),
        ],
    )
    r = await svc.client.get(
        "/v1/capacity", params={"from": "2027-01-04", "to": "2027-01-25", "period": "week"}, headers=H
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["period"], body["from"], body["to"]) == ("week", "2027-01-04", "2027-01-25")
    assert [
        (
            x["period_start"],
            x["capacity_hours"],
            x["booked_hours"],
            x["activities"],
            x["utilisation_percent"],
            x["overbooked"],
        )
        for x in body["items"]
    ] == [
        ("2027-01-04", "12.00", "13.75", 2, "114.58", True),
        ("2027-01-11", "12.00", "7.50", 1, "62.50", False),
        ("2027-01-18", "12.00", "7.50", 1, "62.50", False),
    ]
    assert {x["staff_id"] for x in body["items"]} == {dana}


async def test_monthly_capacity_counts_weekdays_and_hours_spent_on_completed_work(svc: Scheduler) -> None:
    await svc.add_staff("Dana", ["vcio"], "40")
    data = await svc.activate(
        start="2027-02-01", end="2027-04-01", activities=[activity("Strategy session", "FREQ=WEEKLY", "vcio", "40")]
    )
    first = (await svc.activities(data["agreement_id"]))[0]
    svc.clock.set(__import__("datetime").datetime(2027, 2, 1, 18, tzinfo=__import__("datetime").UTC))
    await svc.client.post(
        f"/v1/activities/{first['id']}/complete", json={"outcome": "ok", "hours_spent": "45.5"}, headers=H
    )
    r = await svc.client.get(
        "/v1/capacity", params={"from": "2027-02-01", "to": "2027-04-01", "period": "month"}, headers=H
    )
    # February 2027 has 20 weekdays (160 h), March 23 (184 h); 4 sessions in Feb (one took 45.5 h), 5 in March
    assert [
        (x["period_start"], x["period_end"], x["capacity_hours"], x["booked_hours"], x["overbooked"])
        for x in r.json()["items"]
    ] == [
        ("2027-02-01", "2027-03-01", "160.00", "165.50", True),
        ("2027-03-01", "2027-04-01", "184.00", "200.00", True),
    ]


async def test_capacity_report_refuses_bad_ranges(client) -> None:
    for params in [
        {"from": "2027-02-01", "to": "2027-01-01"},
        {"from": "2027-01-01", "to": "2029-01-01"},
        {"from": "2027-01-01"},
        {"from": "2027-01-01", "to": "2027-02-01", "period": "day"},
        {"from": "x", "to": "2027-02-01"},
        {"from": "2027-01-01", "to": "2027-02-01", "staff_id": str(uuid.uuid4())[:8]},
    ]:
        r = await client.get("/v1/capacity", params=params, headers=H)
        assert r.status_code == 422, params
