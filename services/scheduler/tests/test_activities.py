"""Activities: listing and filters, planned → scheduled → completed | skipped, reschedules, overdue."""

import datetime as dt
import uuid

from scheduler_helpers import OTHER, Scheduler, activity, auth_headers

from scheduler.main import OVERDUE_SWEEP

H = auth_headers()


async def _staff(svc: Scheduler, name: str = "Dana", roles: list[str] | None = None, hours: str = "40") -> str:
    r = await svc.client.post(
        "/v1/staff", json={"name": name, "roles": roles or ["vcio"], "weekly_capacity_hours": hours}, headers=H
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _first(svc: Scheduler, **kwargs) -> dict:
    data = await svc.activate(**kwargs)
    return (await svc.activities(data["agreement_id"]))[0]


async def test_list_filters_by_client_status_and_due_range(svc: Scheduler) -> None:
    a = await svc.activate()
    await svc.activate()
    r = await svc.client.get(
        "/v1/activities",
        params={"client_id": a["client"]["id"], "due_from": "2027-03-01", "due_to": "2027-05-04", "status": "planned"},
        headers=H,
    )
    assert [x["due_date"] for x in r.json()["items"]] == ["2027-03-04", "2027-04-05", "2027-05-04"]


async def test_list_pages_with_a_cursor(svc: Scheduler) -> None:
    data = await svc.activate()
    r1 = await svc.client.get("/v1/activities", params={"limit": 5}, headers=H)
    body = r1.json()
    assert len(body["items"]) == 5
    r2 = await svc.client.get("/v1/activities", params={"limit": 200, "cursor": body["next_cursor"]}, headers=H)
    assert len(r2.json()["items"]) == 7
    assert r2.json()["next_cursor"] is None
    assert {x["agreement_id"] for x in r2.json()["items"]} == {data["agreement_id"]}


BAD_LIST_PARAMS = [
    {"limit": 0},
    {"limit": 201},
    {"status": "done"},
    {"due_from": "2027-02-30"},
    {"client_id": "not-a-uuid"},
    {"cursor": "!!!"},
    {"overdue": "maybe"},
    {"due_from": "2027-03-01", "due_to": "2027-02-01"},
    {"due_to": "0001-01-01"},
]


async def test_bad_list_parameters_are_422(client) -> None:
    for params in BAD_LIST_PARAMS:
        r = await client.get("/v1/activities", params=params, headers=H)
        assert r.status_code == 422, params
        assert r.headers["content-type"] == "application/problem+json"


async def test_schedule_sets_date_time_and_assignee(svc: Scheduler) -> None:
    dana = await _staff(svc)
    a = await _first(svc)
    r = await svc.client.post(
        f"/v1/activities/{a['id']}/schedule",
        json={"date": "2027-01-06", "time": "10:30", "assignee_id": dana},
        headers=H,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["due_date"], body["scheduled_time"], body["assignee_id"]) == (
        "scheduled",
        "2027-01-06",
        "10:30:00",
        dana,
    )
    assert body["planned_date"] == "2027-01-04"


async def test_scheduling_twice_is_a_conflict(svc: Scheduler) -> None:
    a = await _first(svc)
    assert (
        await svc.client.post(f"/v1/activities/{a['id']}/schedule", json={"date": "2027-01-06"}, headers=H)
    ).status_code == 200
    r = await svc.client.post(f"/v1/activities/{a['id']}/schedule", json={"date": "2027-01-07"}, headers=H)
    assert r.status_code == 409


async def test_schedule_with_unknown_assignee_is_422(svc: Scheduler) -> None:
    a = await _first(svc)
    r = await svc.client.post(
        f"/v1/activities/{a['id']}/schedule", json={"date": "2027-01-06", "assignee_id": str(uuid.uuid4())}, headers=H
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "assignee_id"]


async def test_reschedule_keeps_the_reason_in_history(svc: Scheduler) -> None:
    a = await _first(svc)
    await svc.client.post(f"/v1/activities/{a['id']}/schedule", json={"date": "2027-01-06", "time": "09:00"}, headers=H)
    r = await svc.client.post(
        f"/v1/activities/{a['id']}/reschedule",
        json={"date": "2027-01-13", "time": "14:00", "reason": "Client CFO on leave"},
        headers=H,
    )
    assert r.status_code == 200
    assert (r.json()["due_date"], r.json()["scheduled_time"]) == ("2027-01-13", "14:00:00")
    h = (await svc.client.get(f"/v1/activities/{a['id']}/history", headers=H)).json()["items"]
    assert [(x["action"], x["from_date"], x["to_date"], x["reason"]) for x in h] == [
        ("scheduled", "2027-01-04", "2027-01-06", None),
        ("rescheduled", "2027-01-06", "2027-01-13", "Client CFO on leave"),
    ]
    assert h[1]["actor"] == "tester"


async def test_reschedule_needs_a_reason(svc: Scheduler) -> None:
    a = await _first(svc)
    r = await svc.client.post(f"/v1/activities/{a['id']}/reschedule", json={"date": "2027-01-13"}, headers=H)
    assert r.status_code == 422


async def test_complete_records_outcome_hours_and_links_and_emits_completed(svc: Scheduler) -> None:
    a = await _first(svc, activities=[activity(effort="2.5")])
    r = await svc.client.post(
        f"/v1/activities/{a['id']}/complete",
        json={
            "outcome": "Reviewed 42 tickets; 3 recurring issues escalated",
            "hours_spent": "2.75",
            "completed_at": "2027-01-04T09:15:00-05:00",
            "deliverable_links": ["https://docs.example/review-jan"],
        },
        headers=H,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["hours_spent"], body["completed_at"]) == ("completed", "2.75", "2027-01-04T14:15:00Z")
    events = await svc.outbox("vcio.scheduler.activity.completed")
    assert [e["data"] for e in events] == [
        {
            "id": a["id"],
            "agreement_id": a["agreement_id"],
            "client_id": a["client_id"],
            "name": "Monthly ticket review",
            "category": "it_strategy",
            "track": "business",
            "billing_mode": "included",
            "role": "vcio",
            "due_date": "2027-01-04",
            "completed_at": "2027-01-04T14:15:00+00:00",
            "outcome": "Reviewed 42 tickets; 3 recurring issues escalated",
            "hours_spent": "2.75",
            "deliverable_links": ["https://docs.example/review-jan"],
        }
    ]


async def test_complete_without_hours_uses_the_planned_effort(svc: Scheduler) -> None:
    a = await _first(svc, activities=[activity(effort="2.5")])
    r = await svc.client.post(f"/v1/activities/{a['id']}/complete", json={"outcome": "Done"}, headers=H)
    assert (r.json()["hours_spent"], r.json()["completed_at"]) == ("2.50", "2027-01-04T15:00:00Z")


async def test_completing_twice_is_a_conflict_and_emits_once(svc: Scheduler) -> None:
    a = await _first(svc)
    assert (
        await svc.client.post(f"/v1/activities/{a['id']}/complete", json={"outcome": "x"}, headers=H)
    ).status_code == 200
    r = await svc.client.post(f"/v1/activities/{a['id']}/complete", json={"outcome": "x"}, headers=H)
    assert r.status_code == 409
    assert len(await svc.outbox("vcio.scheduler.activity.completed")) == 1


BAD_COMPLETIONS = [
    {"outcome": ""},
    {"outcome": "x", "hours_spent": "-1"},
    {"outcome": "x", "hours_spent": "1.234"},
    {"outcome": "x", "hours_spent": "1e9"},
    {"outcome": "x", "hours_spent": "NaN"},
    {"outcome": "x", "completed_at": "2027-01-04T10:00:00"},
    {"outcome": "x", "completed_at": "2030-01-01T00:00:00Z"},
    {"outcome": "x", "deliverable_links": ["not a url"]},
    {"outcome": "x", "extra": 1},
    {},
    [],
]


async def test_bad_completion_is_422_and_changes_nothing(svc: Scheduler) -> None:
    a = await _first(svc)
    for body in BAD_COMPLETIONS:
        r = await svc.client.post(f"/v1/activities/{a['id']}/complete", json=body, headers=H)
        assert r.status_code == 422, (body, r.text)
    assert (await svc.client.get(f"/v1/activities/{a['id']}", headers=H)).json()["status"] == "planned"


async def test_skip_keeps_the_reason(svc: Scheduler) -> None:
    a = await _first(svc)
    r = await svc.client.post(f"/v1/activities/{a['id']}/skip", json={"reason": "Merged into the QBR"}, headers=H)
    assert (r.json()["status"], r.json()["skip_reason"]) == ("skipped", "Merged into the QBR")
    r = await svc.client.post(f"/v1/activities/{a['id']}/complete", json={"outcome": "x"}, headers=H)
    assert r.status_code == 409


async def test_cancel_an_activity_with_a_reason(svc: Scheduler) -> None:
    a = await _first(svc)
    r = await svc.client.post(f"/v1/activities/{a['id']}/cancel", json={"reason": "Client declined"}, headers=H)
    assert (r.json()["status"], r.json()["cancel_reason"]) == ("cancelled", "Client declined")
    assert [e["data"]["status"] for e in await svc.outbox("vcio.scheduler.activity.cancelled")] == ["cancelled"]
    r = await svc.client.post(f"/v1/activities/{a['id']}/cancel", json={"reason": "again"}, headers=H)
    assert r.status_code == 409


async def test_another_tenants_activity_is_404_everywhere(svc: Scheduler) -> None:
    a = await _first(svc)
    other = auth_headers(OTHER)
    assert (await svc.client.get(f"/v1/activities/{a['id']}", headers=other)).status_code == 404
    assert (await svc.client.get(f"/v1/activities/{a['id']}/history", headers=other)).status_code == 404
    for action, body in [
        ("schedule", {"date": "2027-01-06"}),
        ("reschedule", {"date": "2027-01-06", "reason": "r"}),
        ("assign", {"assignee_id": None}),
        ("complete", {"outcome": "x"}),
        ("skip", {"reason": "r"}),
        ("cancel", {"reason": "r"}),
    ]:
        r = await svc.client.post(f"/v1/activities/{a['id']}/{action}", json=body, headers=other)
        assert r.status_code == 404, action
    assert (await svc.client.get(f"/v1/activities/{a['id']}", headers=H)).json()["status"] == "planned"


async def test_bad_activity_id_in_path_is_422(client) -> None:
    assert (await client.get("/v1/activities/123", headers=H)).status_code == 422


async def test_write_needs_the_write_scope(svc: Scheduler) -> None:
    a = await _first(svc)
    r = await svc.client.post(
        f"/v1/activities/{a['id']}/skip", json={"reason": "r"}, headers=auth_headers(scopes="scheduler:read")
    )
    assert r.status_code == 403


async def test_assign_and_unassign(svc: Scheduler) -> None:
    dana = await _staff(svc)
    a = await _first(svc)
    r = await svc.client.post(f"/v1/activities/{a['id']}/assign", json={"assignee_id": dana}, headers=H)
    assert r.json()["assignee_id"] == dana
    r = await svc.client.post(f"/v1/activities/{a['id']}/assign", json={"assignee_id": None}, headers=H)
    assert r.json()["assignee_id"] is None


async def test_overdue_lists_open_activities_past_due_in_the_clients_time_zone(svc: Scheduler) -> None:
    data = await svc.activate(timezone="America/New_York")
    items = await svc.activities(data["agreement_id"])
    await svc.client.post(f"/v1/activities/{items[1]['id']}/complete", json={"outcome": "x"}, headers=H)
    # 2027-03-05 03:00 UTC is still 4 March in New York: the 4 March activity is not yet overdue
    svc.clock.set(dt.datetime(2027, 3, 5, 3, 0, tzinfo=dt.UTC))
    r = await svc.client.get("/v1/activities", params={"overdue": "true"}, headers=H)
    assert [x["due_date"] for x in r.json()["items"]] == ["2027-01-04"]
    assert r.json()["items"][0]["overdue"] is True
    svc.clock.set(dt.datetime(2027, 3, 5, 6, 0, tzinfo=dt.UTC))
    r = await svc.client.get("/v1/activities", params={"overdue": "true"}, headers=H)
    assert [x["due_date"] for x in r.json()["items"]] == ["2027-01-04", "2027-03-04"]


async def test_overdue_sweep_emits_once_per_activity(svc: Scheduler) -> None:
    await svc.activate()
    svc.clock.set(dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC))
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 3
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 0
    events = await svc.outbox("vcio.scheduler.activity.overdue")
    assert [(e["data"]["due_date"], e["data"]["overdue"], e["data"]["status"]) for e in events] == [
        ("2027-01-04", True, "planned"),
        ("2027-02-04", True, "planned"),
        ("2027-03-04", True, "planned"),
    ]
    svc.clock.set(dt.datetime(2027, 4, 6, 12, tzinfo=dt.UTC))
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 1
    assert len(await svc.outbox("vcio.scheduler.activity.overdue")) == 4


async def test_overdue_sweep_skips_when_another_replica_holds_the_lock(svc: Scheduler) -> None:
    await svc.activate()
    svc.clock.set(dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC))
    from vcio_shared.db import advisory_xact_lock

    async with svc.runtime.sessionmaker() as other, other.begin():
        assert await advisory_xact_lock(other, "scheduler:overdue")
        assert await svc.runtime.run_sweep(OVERDUE_SWEEP) is None
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 3
