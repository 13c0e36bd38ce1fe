from collections.abc import Callable
from typing import Any

import httpx
import pytest

from vcio_shared.testing import auth

# Each test works on packages of its own (or a tenant of its own), so the module shares one app and database.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(shared_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return shared_client


async def test_create_answers_a_draft_version_1(client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]) -> None:
    r = await client.post("/v1/packages", json=body(), headers=auth())
    assert r.status_code == 201
    package = r.json()
    assert package["version"] == 1
    assert package["latest_version"] == 1
    assert package["status"] == "draft"
    assert package["published_at"] is None


async def test_contract_value_is_price_times_term_plus_onboarding(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    r = await client.post("/v1/packages", json=body(), headers=auth())
    package = r.json()
    assert package["monthly_price"] == "1500.00"
    assert package["onboarding_fee"] == "500.00"
    assert package["contract_value"] == "18500.00"


async def test_onboarding_fee_defaults_to_zero(client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]) -> None:
    payload = body()
    del payload["onboarding_fee"]
    r = await client.post("/v1/packages", json=payload, headers=auth())
    assert r.json()["onboarding_fee"] == "0.00"
    assert r.json()["contract_value"] == "18000.00"


async def test_zero_digit_currency_amounts_have_no_decimals(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    r = await client.post(
        "/v1/packages", json=body(currency="JPY", monthly_price="150000", onboarding_fee="20000"), headers=auth()
    )
    assert r.status_code == 201, r.text
    assert r.json()["monthly_price"] == "150000"
    assert r.json()["contract_value"] == "1820000"


async def test_effort_hours_per_year_are_counted_per_role(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    package = (await client.post("/v1/packages", json=body(), headers=auth())).json()
    # yearly roadmap 1 × 8 h, quarterly QBR 4 × 2.5 h, monthly ticket review 12 × 1 h
    assert package["effort_hours_per_year"] == {
        "account_manager": "10.00",
        "technical_account_manager": "12.00",
        "vcio": "8.00",
    }
    assert package["total_effort_hours_per_year"] == "30.00"
    assert package["schedule_basis_start"] == "2027-02-01"
    assert [(a["occurrences_in_term"], a["hours_per_year"]) for a in package["activities"]] == [
        (1, "8.00"),
        (4, "10.00"),
        (12, "12.00"),
    ]


async def test_effort_per_year_scales_a_longer_term_to_twelve_months(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    package = (await client.post("/v1/packages", json=body(term_months=18), headers=auth())).json()
    # over 18 months: 2 roadmaps (16 h), 6 QBRs (15 h), 18 ticket reviews (18 h); × 12 / 18
    assert [a["occurrences_in_term"] for a in package["activities"]] == [2, 6, 18]
    assert package["effort_hours_per_year"] == {
        "account_manager": "10.00",
        "technical_account_manager": "12.00",
        "vcio": "10.67",
    }


async def test_activities_keep_their_order_and_fields(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    package = (await client.post("/v1/packages", json=body(), headers=auth())).json()
    first = package["activities"][0]
    assert {
        k: first[k]
        for k in ("name", "category", "track", "billing_mode", "cadence", "role", "effort_hours", "deliverable")
    } == {
        "name": "IT roadmap",
        "category": "it_strategy",
        "track": "business",
        "billing_mode": "billable",
        "cadence": "FREQ=YEARLY",
        "role": "vcio",
        "effort_hours": "8.00",
        "deliverable": "Roadmap",
    }
    assert [a["name"] for a in package["activities"]] == ["IT roadmap", "QBR", "Ticket review"]


async def test_cadence_is_stored_normalised(client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]) -> None:
    payload = body()
    payload["activities"][0]["cadence"] = "rrule:freq=monthly;interval=3"
    package = (await client.post("/v1/packages", json=payload, headers=auth())).json()
    assert package["activities"][0]["cadence"] == "FREQ=MONTHLY;INTERVAL=3"


async def test_get_answers_what_create_answered(client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]) -> None:
    created = (await client.post("/v1/packages", json=body(), headers=auth())).json()
    r = await client.get(f"/v1/packages/{created['id']}", headers=auth())
    assert r.status_code == 200
    assert r.json() == created


async def test_same_idempotency_key_and_body_replays_without_a_second_package(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    headers = {**auth("tenant-idempotent"), "Idempotency-Key": "create-1"}
    first = await client.post("/v1/packages", json=body(), headers=headers)
    second = await client.post("/v1/packages", json=body(), headers=headers)
    assert second.status_code == 201
    assert second.json() == first.json()
    listed = (await client.get("/v1/packages", headers=auth("tenant-idempotent"))).json()
    assert [p["id"] for p in listed["items"]] == [first.json()["id"]]


async def test_same_idempotency_key_with_another_body_is_422(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    headers = {**auth(), "Idempotency-Key": "create-2"}
    await client.post("/v1/packages", json=body(), headers=headers)
    r = await client.post("/v1/packages", json=body(name="Other"), headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_create_records_an_audit_row(client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]) -> None:
    package = (await client.post("/v1/packages", json=body(), headers=auth(sub="alice"))).json()
    entries = (await client.get(f"/v1/audit?entity_id={package['id']}", headers=auth())).json()["items"]
    assert [(e["action"], e["actor"], e["changes"]["version"]) for e in entries] == [("package.created", "alice", 1)]
