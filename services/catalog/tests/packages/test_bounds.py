"""Occurrences are bounded by counting them: an activity at most weekly (53 a year), a package at most 600 a year.

The term is counted from 2027-02-01 (the test clock's next 1st): its first year has 365 days.
"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from vcio_shared.testing import auth


def _activity(name: str, cadence: str) -> dict[str, Any]:
    return {
        "name": name,
        "category": "it_strategy",
        "track": "business",
        "billing_mode": "billable",
        "cadence": cadence,
        "role": "vcio",
        "effort_hours": "1",
    }


EVERY_DAY = ",".join(str(d) for d in range(1, 32))
TOO_OFTEN = {
    "every_weekday_of_the_week": ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", 365),
    "every_day_of_the_month": (f"FREQ=MONTHLY;BYMONTHDAY={EVERY_DAY}", 365),
    "every_position_of_every_day": (f"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYSETPOS={EVERY_DAY}", 365),
    "every_day_of_every_month_yearly": (f"FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYMONTHDAY={EVERY_DAY}", 365),
    "two_hundred_weekdays_by_count": ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=200", 200),
    "five_days_a_month": ("FREQ=MONTHLY;BYMONTHDAY=1,8,15,22,29", 59),  # February 2027 has no 29th
    "twice_weekly": ("FREQ=WEEKLY;BYDAY=MO,TH", 105),
}


@pytest.mark.parametrize(("cadence", "count"), TOO_OFTEN.values(), ids=TOO_OFTEN.keys())
async def test_an_activity_more_often_than_weekly_is_422_with_its_count(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]], cadence: str, count: int
) -> None:
    payload = body(activities=[_activity("Monthly check-in", "FREQ=MONTHLY"), _activity("Patch review", cadence)])
    r = await client.post("/v1/packages", json=payload, headers=auth())
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [
        {
            "loc": ["body", "activities", 1, "cadence"],
            "msg": f"activity 'Patch review': cadence {cadence} happens {count} times in the year from 2027-02-01; "
            "an activity recurs at most weekly (53 times a year)",
        }
    ]
    assert (await client.get("/v1/packages", headers=auth())).json()["items"] == []


async def test_each_year_is_bounded_not_the_average_over_the_term(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    # 100 weekdays in the first year and none in the second: under 2 x 53 over the term, yet daily for 20 weeks
    cadence = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=100"
    r = await client.post(
        "/v1/packages", json=body(term_months=24, activities=[_activity("R", cadence)]), headers=auth()
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["msg"] == (
        f"activity 'R': cadence {cadence} happens 100 times in the year from 2027-02-01; "
        "an activity recurs at most weekly (53 times a year)"
    )
    weekly = await client.post(
        "/v1/packages", json=body(term_months=24, activities=[_activity("R", "FREQ=WEEKLY")]), headers=auth()
    )
    assert weekly.status_code == 201
    assert weekly.json()["activities"][0]["occurrences_in_term"] == 105


async def test_hour_and_minute_parts_are_refused(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    for part in ("BYHOUR=9,10,11", "BYMINUTE=0,15,30,45", "BYSECOND=1"):
        payload = body(activities=[_activity("Review", f"FREQ=WEEKLY;{part}")])
        r = await client.post("/v1/packages", json=payload, headers=auth())
        assert r.status_code == 422
        assert r.json()["errors"] == [
            {
                "loc": ["body", "activities", 0, "cadence"],
                "msg": f"cadence is not a valid RRULE: {part.split('=')[0]} is not supported",
            }
        ]


async def test_fifty_daily_equivalent_activities_are_all_named(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    cadence = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"
    payload = body(term_months=60, activities=[_activity(f"Chore {i}", cadence) for i in range(50)])
    r = await client.post("/v1/packages", json=payload, headers=auth())
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [e["loc"] for e in errors] == [["body", "activities", i, "cadence"] for i in range(50)]
    assert errors[49]["msg"].startswith("activity 'Chore 49': cadence FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU happens")


async def test_a_package_of_twelve_weekly_activities_is_over_600_a_year(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    payload = body(activities=[_activity(f"Weekly {i}", "FREQ=WEEKLY") for i in range(12)])
    r = await client.post("/v1/packages", json=payload, headers=auth())
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "loc": ["body", "activities"],
            "msg": "the activities happen 636 times in the year from 2027-02-01; a package plans at most 600 a year",
        }
    ]
    eleven = body(activities=[_activity(f"Weekly {i}", "FREQ=WEEKLY") for i in range(11)])
    assert (await client.post("/v1/packages", json=eleven, headers=auth())).status_code == 201


async def test_a_legitimate_package_passes(client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]) -> None:
    payload = body(
        activities=[
            _activity("Monthly check-in", "FREQ=MONTHLY"),
            _activity("Quarterly business review", "FREQ=MONTHLY;INTERVAL=3"),
            _activity("IT strategy and roadmap", "FREQ=YEARLY"),
            _activity("Weekly patch review", "FREQ=WEEKLY"),
            _activity("Twice a month", "FREQ=MONTHLY;BYMONTHDAY=1,15"),
        ]
    )
    r = await client.post("/v1/packages", json=payload, headers=auth())
    assert r.status_code == 201, r.text
    assert [a["occurrences_in_term"] for a in r.json()["activities"]] == [12, 4, 1, 53, 24]


async def test_updates_are_bounded(client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]) -> None:
    package = (await client.post("/v1/packages", json=body(), headers=auth())).json()
    daily = [_activity("Patch review", "FREQ=MONTHLY;BYMONTHDAY=" + EVERY_DAY)]
    patched = await client.patch(f"/v1/packages/{package['id']}", json={"activities": daily}, headers=auth())
    replaced = await client.put(f"/v1/packages/{package['id']}", json=body(activities=daily), headers=auth())
    for r in (patched, replaced):
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["body", "activities", 0, "cadence"]
        assert "happens 365 times in the year from 2027-02-01" in r.json()["errors"][0]["msg"]
    shown = (await client.get(f"/v1/packages/{package['id']}", headers=auth())).json()
    assert [a["cadence"] for a in shown["activities"]] == [a["cadence"] for a in package["activities"]]


async def test_publishing_a_draft_stored_before_the_bounds_is_422(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    package = (await client.post("/v1/packages", json=body(), headers=auth())).json()
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessionmaker() as s, s.begin():
        await s.execute(
            sa.text(
                "UPDATE activity_templates SET cadence = 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU' WHERE package_id = :p"
            ),
            {"p": package["id"]},
        )
    r = await client.post(f"/v1/packages/{package['id']}/publish", headers=auth())
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["errors"]] == [
        ["activities", i, "cadence"] for i in range(len(package["activities"]))
    ]
    assert (await client.get(f"/v1/packages/{package['id']}", headers=auth())).json()["status"] == "draft"
