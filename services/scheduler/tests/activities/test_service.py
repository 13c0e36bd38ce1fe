"""Activity moves: planned → scheduled → completed | skipped | cancelled, reschedules, assignment, overdue."""

import datetime as dt
import uuid

from scheduler_helpers import Scheduler, activity, auth_headers

H = auth_headers()


async def test_schedule_sets_date_time_and_assignee(svc: Scheduler) -> None:
    dana = await svc.add_staff()
    a = await svc.first_activity()
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
    a = await svc.first_activity()
    assert (
        await svc.client.post(f"/v1/activities/{a['id']}/schedule", json={"date": "2027-01-06"}, headers=H)
    ).status_code == 200
    r = await svc.client.post(f"/v1/activities/{a['id']}/schedule", json={"date": "2027-01-07"}, headers=H)
    assert r.status_code == 409


async def test_schedule_with_unknown_assignee_is_422(svc: Scheduler) -> None:
    a = await svc.first_activity()
    r = await svc.client.post(
        f"/v1/activities/{a['id']}/schedule", json={"date": "2027-01-06", "assignee_id": str(uuid.uuid4())}, headers=H
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "assignee_id"]


async def test_reschedule_keeps_the_reason_in_history(svc: Scheduler) -> None:
    a = await svc.first_activity()
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
    a = await svc.first_activity()
    r = await svc.client.post(f"/v1/activities/{a['id']}/reschedule", json={"date": "2027-01-13"}, headers=H)
    assert r.status_code == 422


async def test_complete_records_outcome_hours_and_links_and_emits_completed(svc: Scheduler) -> None:
    a = await svc.first_activity(activities=[activity(effort="2.5")])
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
    a = await svc.first_activity(activities=[activity(effort="2.5")])
    r = await svc.client.post(f"/v1/activities/{a['id']}/complete", json={"outcome": "Done"}, headers=H)
    assert (r.json()["hours_spent"], r.json()["completed_at"]) == ("2.50", "2027-01-04T15:00:00Z")


async def test_completing_twice_is_a_conflict_and_emits_once(svc: Scheduler) -> None:
    a = await svc.first_activity()
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
    a = await svc.first_activity()
    for body in BAD_COMPLETIONS:
        r = await svc.client.post(f"/v1/activities/{a['id']}/complete", json=body, headers=H)
        assert r.status_code == 422, (body, r.text)
    assert (await svc.client.get(f"/v1/activities/{a['id']}", headers=H)).json()["status"] == "planned"


async def test_skip_keeps_the_reason(svc: Scheduler) -> None:
    a = await svc.first_activity()
    r = await svc.client.post(f"/v1/activities/{a['id']}/skip", json={"reason": "Merged into the QBR"}, headers=H)
    assert (r.json()["status"], r.json()["skip_reason"]) == ("skipped", "Merged into the QBR")
    r = await svc.client.post(f"/v1/activities/{a['id']}/complete", json={"outcome": "x"}, headers=H)
    assert r.status_code == 409


async def test_cancel_an_activity_with_a_reason(svc: Scheduler) -> None:
    a = await svc.first_activity()
    r = await svc.client.post(f"/v1/activities/{a['id']}/cancel", json={"reason": "Client declined"}, headers=H)
    assert (r.json()["status"], r.json()["cancel_reason"]) == ("cancelled", "Client declined")
    assert [e["data"]["status"] for e in await svc.outbox("vcio.scheduler.activity.cancelled")] == ["cancelled"]
    r = await svc.client.post(f"/v1/activities/{a['id']}/cancel", json={"reason": "again"}, headers=H)
    assert r.status_code == 409


async def test_assign_and_unassign(svc: Scheduler) -> None:
    dana = await svc.add_staff()
    a = await svc.first_activity()
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
