"""Tokenised subscribe URLs: served without a bearer token, rate-limited per address."""

import icalendar
from scheduler_helpers import Scheduler, auth_headers

H = auth_headers()


def _events(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


async def test_tokenised_subscribe_url_serves_the_feed_without_a_bearer_token(svc: Scheduler) -> None:
    data = await svc.activate(start="2027-01-04", end="2027-03-04")
    r = await svc.client.post(
        "/v1/calendars/subscriptions", json={"kind": "client", "subject_id": data["client"]["id"]}, headers=H
    )
    assert r.status_code == 201
    sub = r.json()
    assert sub["url"].startswith("https://vcio.example/calendars/")
    path = sub["url"].removeprefix("https://vcio.example")
    feed = await svc.client.get(path)
    assert feed.status_code == 200
    assert len(_events(feed.content)) == 2
    assert (await svc.client.delete(f"/v1/calendars/subscriptions/{sub['id']}", headers=H)).status_code == 204
    assert (await svc.client.get(path)).status_code == 404
    assert (await svc.client.get("/calendars/" + "x" * 43 + ".ics")).status_code == 404


async def test_the_tokenised_feed_is_rate_limited_per_address(svc: Scheduler) -> None:
    """A public token endpoint: guessing tokens is stopped after 60 tries a minute from one address."""
    answers = [(await svc.client.get("/calendars/" + f"{i:043d}" + ".ics")).status_code for i in range(61)]
    assert answers == [404] * 60 + [429]
    limited = await svc.client.get("/calendars/" + "y" * 43 + ".ics")
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) == 61
