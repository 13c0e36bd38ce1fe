"""iCalendar feeds: parsed with `icalendar`, stable UIDs, local times, staff feeds, tenancy."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import icalendar
from scheduler_helpers import OTHER, Scheduler, activity, auth_headers

H = auth_headers()


def _events(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


async def test_client_feed_parses_and_has_one_event_per_activity(svc: Scheduler) -> None:
    data = await svc.activate(
        start="2027-01-04",
        end="2027-04-04",
        client_name="Acme Dental",
        activities=[activity("Monthly ticket review", "FREQ=MONTHLY")],
    )
    r = await svc.client.get(f"/v1/calendars/clients/{data['client']['id']}.ics", headers=H)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(r.content)
    assert str(cal["x-wr-calname"]) == "Acme Dental — vCIO delivery plan"
    events = _events(r.content)
    assert [(str(e["summary"]), e.decoded("dtstart")) for e in events] == [
        ("Monthly ticket review", dt.date(2027, 1, 4)),
        ("Monthly ticket review", dt.date(2027, 2, 4)),
        ("Monthly ticket review", dt.date(2027, 3, 4)),
    ]
    activity_ids = [a["id"] for a in await svc.activities(data["agreement_id"])]
    assert [str(e["uid"]) for e in events] == [f"{i}@scheduler.vcio" for i in activity_ids]
    assert [str(e["status"]) for e in events] == ["TENTATIVE"] * 3


async def test_uids_are_stable_across_two_fetches_and_a_reschedule_updates_in_place(svc: Scheduler) -> None:
    data = await svc.activate(start="2027-01-04", end="2027-04-04")
    url = f"/v1/calendars/clients/{data['client']['id']}.ics"
    first = await svc.client.get(url, headers=H)
    second = await svc.client.get(url, headers=H)
    assert [str(e["uid"]) for e in _events(first.content)] == [str(e["uid"]) for e in _events(second.content)]
    assert first.content == second.content
    a = (await svc.activities(data["agreement_id"]))[1]
    await svc.client.post(f"/v1/activities/{a['id']}/schedule", json={"date": "2027-02-09", "time": "10:00"}, headers=H)
    third = _events((await svc.client.get(url, headers=H)).content)
    assert [str(e["uid"]) for e in third] == [str(e["uid"]) for e in _events(first.content)]
    moved = next(e for e in third if str(e["uid"]).startswith(a["id"]))
    assert str(moved["status"]) == "CONFIRMED"


async def test_scheduled_time_is_in_the_clients_time_zone_across_dst(svc: Scheduler) -> None:
    # New York springs forward on 2027-03-14: 10:00 local is 15:00 UTC before and 14:00 UTC after
    data = await svc.activate(
        start="2027-03-08",
        end="2027-03-22",
        timezone="America/New_York",
        activities=[activity("Weekly stand-up", "FREQ=WEEKLY", effort="1")],
    )
    items = await svc.activities(data["agreement_id"])
    for a in items:
        await svc.client.post(
            f"/v1/activities/{a['id']}/schedule", json={"date": a["due_date"], "time": "10:00"}, headers=H
        )
    events = _events((await svc.client.get(f"/v1/calendars/clients/{data['client']['id']}.ics", headers=H)).content)
    starts = [e.decoded("dtstart") for e in events]
    assert [s.astimezone(ZoneInfo("UTC")).isoformat() for s in starts] == [
        "2027-03-08T15:00:00+00:00",
        "2027-03-15T14:00:00+00:00",
    ]
    assert [e.decoded("dtend") - e.decoded("dtstart") for e in events] == [dt.timedelta(hours=1)] * 2
    assert str(events[0]["dtstart"].params["TZID"]) == "America/New_York"
    assert icalendar.Calendar.from_ical(
        (await svc.client.get(f"/v1/calendars/clients/{data['client']['id']}.ics", headers=H)).content
    ).walk("VTIMEZONE")


async def test_staff_feed_lists_only_their_activities_with_the_client(svc: Scheduler) -> None:
    r = await svc.client.post(
        "/v1/staff", json={"name": "Dana", "roles": ["vcio"], "weekly_capacity_hours": "40"}, headers=H
    )
    dana = r.json()["id"]
    await svc.activate(
        start="2027-01-04",
        end="2027-03-04",
        client_name="Acme Dental",
        activities=[
            activity("Strategy session", "FREQ=MONTHLY", "vcio"),
            activity("Patch review", "FREQ=MONTHLY", "engineer"),
        ],
    )
    feed = await svc.client.get(f"/v1/calendars/staff/{dana}.ics", headers=H)
    assert [str(e["summary"]) for e in _events(feed.content)] == [
        "Strategy session — Acme Dental",
        "Strategy session — Acme Dental",
    ]
    sub = await svc.client.post("/v1/calendars/subscriptions", json={"kind": "staff", "subject_id": dana}, headers=H)
    token_feed = await svc.client.get(sub.json()["url"].removeprefix("https://vcio.example"))
    assert token_feed.content == feed.content


async def test_calendars_of_another_tenant_are_404(svc: Scheduler) -> None:
    data = await svc.activate()
    other = auth_headers(OTHER)
    assert (await svc.client.get(f"/v1/calendars/clients/{data['client']['id']}.ics", headers=other)).status_code == 404
    r = await svc.client.post(
        "/v1/calendars/subscriptions", json={"kind": "client", "subject_id": data["client"]["id"]}, headers=other
    )
    assert r.status_code == 404
    sub = await svc.client.post(
        "/v1/calendars/subscriptions", json={"kind": "client", "subject_id": data["client"]["id"]}, headers=H
    )
    assert (
        await svc.client.delete(f"/v1/calendars/subscriptions/{sub.json()['id']}", headers=other)
    ).status_code == 404
    assert (await svc.client.get("/v1/calendars/subscriptions", headers=other)).json()["items"] == []
    assert (await svc.client.get(f"/v1/calendars/staff/{uuid.uuid4()}.ics", headers=H)).status_code == 404
    assert (await svc.client.get("/v1/calendars/clients/nope.ics", headers=H)).status_code == 422
    assert (await svc.client.get(f"/v1/calendars/clients/{data['client']['id']}.ics")).status_code == 401
