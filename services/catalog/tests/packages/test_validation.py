"""Bad input gets 422 problem details that name the field, and writes nothing."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from vcio_shared.testing import auth

# Nothing here is written, so the module shares one app and database.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(shared_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return shared_client


def _activity(**changes: Any) -> dict[str, Any]:
    activity = {
        "name": "Review",
        "category": "it_strategy",
        "track": "business",
        "billing_mode": "billable",
        "cadence": "FREQ=MONTHLY",
        "role": "vcio",
        "effort_hours": "1",
    }
    activity.update(changes)
    return activity


CADENCE = ["body", "activities", 0, "cadence"]
CASES = {
    "invalid_rrule": ({"activities": [_activity(cadence="EVERY MONDAY")]}, CADENCE),
    "unknown_rrule_part": ({"activities": [_activity(cadence="FREQ=MONTHLY;BYEASTER=1")]}, CADENCE),
    "unknown_frequency": ({"activities": [_activity(cadence="FREQ=FORTNIGHTLY")]}, CADENCE),
    "interval_zero": ({"activities": [_activity(cadence="FREQ=MONTHLY;INTERVAL=0")]}, CADENCE),
    "daily_is_too_frequent": ({"activities": [_activity(cadence="FREQ=DAILY")]}, CADENCE),
    "dtstart_in_cadence": ({"activities": [_activity(cadence="DTSTART:20200101T000000\nRRULE:FREQ=MONTHLY")]}, CADENCE),
    "until_in_the_past": ({"activities": [_activity(cadence="FREQ=MONTHLY;UNTIL=20261231")]}, CADENCE),
    "no_occurrence_in_term": ({"activities": [_activity(cadence="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")]}, CADENCE),
    "no_occurrence_in_a_short_term": (
        {"term_months": 2, "activities": [_activity(cadence="FREQ=YEARLY;BYMONTH=6")]},
        CADENCE,
    ),
    "byweekno_outside_yearly": ({"activities": [_activity(cadence="FREQ=MONTHLY;BYWEEKNO=20")]}, CADENCE),
    "bymonthday_with_weekly": ({"activities": [_activity(cadence="FREQ=WEEKLY;BYMONTHDAY=30")]}, CADENCE),
    "weekly_bysetpos_beyond_the_week": (
        {"activities": [_activity(cadence="FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2")]},
        CADENCE,
    ),
    "cadence_too_long": ({"activities": [_activity(cadence="FREQ=MONTHLY;" + "BYMONTH=1;" * 40)]}, CADENCE),
    "negative_price": ({"monthly_price": "-1.00"}, ["body", "monthly_price"]),
    "mis_scaled_price": ({"monthly_price": "1500.001"}, ["body", "monthly_price"]),
    "price_as_a_number": ({"monthly_price": 1500}, ["body", "monthly_price"]),
    "price_in_other_script_digits": ({"monthly_price": "\u0661\u0665\u0660\u0660.00"}, ["body", "monthly_price"]),
    "price_in_exponent_form": ({"monthly_price": "1e3"}, ["body", "monthly_price"]),
    "absurd_price": ({"monthly_price": "999999999999999.00"}, ["body", "monthly_price"]),
    "mis_scaled_onboarding_fee": ({"onboarding_fee": "10.5.0"}, ["body", "onboarding_fee"]),
    "decimals_on_a_zero_digit_currency": (
        {"currency": "JPY", "monthly_price": "1500.00", "onboarding_fee": "0"},
        ["body", "monthly_price"],
    ),
    "unknown_currency": ({"currency": "XYZ"}, ["body", "currency"]),
    "lower_case_currency": ({"currency": "usd"}, ["body", "currency"]),
    "unknown_category": ({"activities": [_activity(category="gardening")]}, ["body", "activities", 0, "category"]),
    "unknown_role": ({"activities": [_activity(role="ceo")]}, ["body", "activities", 0, "role"]),
    "unknown_track": ({"activities": [_activity(track="sales")]}, ["body", "activities", 0, "track"]),
    "unknown_billing_mode": (
        {"activities": [_activity(billing_mode="free")]},
        ["body", "activities", 0, "billing_mode"],
    ),
    "zero_activities": ({"activities": []}, ["body", "activities"]),
    "term_zero_months": ({"term_months": 0}, ["body", "term_months"]),
    "term_61_months": ({"term_months": 61}, ["body", "term_months"]),
    "term_as_a_boolean": ({"term_months": True}, ["body", "term_months"]),
    "term_as_a_string": ({"term_months": "12"}, ["body", "term_months"]),
    "huge_term": ({"term_months": 10**30}, ["body", "term_months"]),
    "unknown_billing_cycle": ({"billing_cycle": "weekly"}, ["body", "billing_cycle"]),
    "unknown_field": ({"colour": "blue"}, ["body", "colour"]),
    "unknown_activity_field": ({"activities": [_activity(colour="blue")]}, ["body", "activities", 0, "colour"]),
    "negative_effort": ({"activities": [_activity(effort_hours="-1")]}, ["body", "activities", 0, "effort_hours"]),
    "effort_with_three_decimals": (
        {"activities": [_activity(effort_hours="1.125")]},
        ["body", "activities", 0, "effort_hours"],
    ),
    "nul_in_name": ({"name": "bad\u0000name"}, ["body", "name"]),
    "empty_name": ({"name": ""}, ["body", "name"]),
}


@pytest.mark.parametrize(("changes", "loc"), CASES.values(), ids=CASES.keys())
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]], changes: dict[str, Any], loc: list[Any]
) -> None:
    r = await client.post("/v1/packages", json=body(**changes), headers=auth())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in r.json()["errors"]]


async def test_every_bad_cadence_is_reported_at_once(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    payload = body(activities=[_activity(cadence="NOPE"), _activity(), _activity(cadence="FREQ=HOURLY")])
    r = await client.post("/v1/packages", json=payload, headers=auth())
    assert [e["loc"] for e in r.json()["errors"]] == [
        ["body", "activities", 0, "cadence"],
        ["body", "activities", 2, "cadence"],
    ]


async def test_no_occurrence_message_names_the_term(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    payload = body(term_months=2, activities=[_activity(cadence="FREQ=YEARLY;BYMONTH=6")])
    r = await client.post("/v1/packages", json=payload, headers=auth())
    assert r.json()["errors"][0]["msg"] == (
        "cadence FREQ=YEARLY;BYMONTH=6 yields no occurrence in a 2-month term starting 2027-02-01"
    )


async def test_a_rejected_package_writes_nothing(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    tenant = "tenant-rejected"
    await client.post("/v1/packages", json=body(activities=[_activity(cadence="NOPE")]), headers=auth(tenant))
    assert (await client.get("/v1/packages", headers=auth(tenant))).json() == {"items": [], "next_cursor": None}
    assert (await client.get("/v1/audit", headers=auth(tenant))).json()["items"] == []


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/packages", content=b"{not json", headers={**auth(), "content-type": "application/json"})
    assert r.status_code == 422


async def test_bad_package_id_in_path_is_422(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/packages/not-a-uuid", headers=auth())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["path", "package_id"]


async def test_huge_version_query_is_422(client: httpx.AsyncClient, create: Any) -> None:
    package = await create()
    r = await client.get(f"/v1/packages/{package['id']}?version=99999999999999999999", headers=auth())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "version"]
