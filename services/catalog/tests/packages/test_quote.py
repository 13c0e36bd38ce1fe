"""A quote: the figures of a package being edited, stored nowhere, by the rules a stored version is priced by."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from vcio_shared.testing import auth

from ..conftest import Create  # noqa: TID252

# Each test works on a tenant of its own, so the module shares one app and database.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(shared_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return shared_client


RATES = {"vcio": "175.00", "account_manager": "125.00", "technical_account_manager": "150.00"}


async def test_a_quote_is_what_pricing_answers_once_the_package_is_stored(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]], create: Create
) -> None:
    r = await client.post("/v1/packages/quote", json={"package": body(), "rates": RATES}, headers=auth("quote-a"))
    assert r.status_code == 200, r.text
    # vcio 8 h × 175 = 1400; account manager 10 h × 125 = 1250; TAM 12 h × 150 = 1800; 4450 / 12 = 370.83
    assert r.json() == {
        "currency": "USD",
        "billable_only": False,
        "lines": [
            {"role": "account_manager", "hours_per_year": "10.00", "rate": "125.00", "annual_amount": "1250.00"},
            {
                "role": "technical_account_manager",
                "hours_per_year": "12.00",
                "rate": "150.00",
                "annual_amount": "1800.00",
            },
            {"role": "vcio", "hours_per_year": "8.00", "rate": "175.00", "annual_amount": "1400.00"},
        ],
        "hours_per_year": "30.00",
        "annual_effort_amount": "4450.00",
        "suggested_monthly_price": "370.83",
        "list_monthly_price": "1500.00",
        "margin": "1129.17",
        "margin_percent": "75.28",
        "contract_value": "18500.00",
        "effort_hours_per_year": {"account_manager": "10.00", "technical_account_manager": "12.00", "vcio": "8.00"},
        "schedule_basis_start": "2027-02-01",
        "activities": [
            {"name": "IT roadmap", "cadence": "FREQ=YEARLY", "occurrences_in_term": 1, "hours_per_year": "8.00"},
            {"name": "QBR", "cadence": "FREQ=MONTHLY;INTERVAL=3", "occurrences_in_term": 4, "hours_per_year": "10.00"},
            {"name": "Ticket review", "cadence": "FREQ=MONTHLY", "occurrences_in_term": 12, "hours_per_year": "12.00"},
        ],
    }
    # nothing was stored; stored, the same package is priced the same
    listed = await client.get("/v1/packages", headers=auth("quote-a"))
    assert listed.json()["items"] == []
    package = await create(tenant="quote-a")
    priced = await client.post(f"/v1/packages/{package['id']}/pricing", json={"rates": RATES}, headers=auth("quote-a"))
    quoted = {k: v for k, v in r.json().items() if k in priced.json()}
    assert {k: v for k, v in priced.json().items() if k not in ("package_id", "version")} == quoted


async def test_a_quote_of_a_two_year_term_in_yen_billable_only(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    package = body(currency="JPY", monthly_price="150000", onboarding_fee="50000", term_months=24)
    rates = {"vcio": "20000", "account_manager": "15000"}
    r = await client.post(
        "/v1/packages/quote",
        json={"package": package, "rates": rates, "billable_only": True},
        headers=auth("quote-b", "catalog:read"),
    )
    assert r.status_code == 200, r.text
    # a year of effort: vcio 2 × 8 × 12 / 24 = 8 h, account manager 8 × 2.5 × 12 / 24 = 10 h (the TAM is included)
    # 8 × 20000 + 10 × 15000 = 310000 a year → 25833 a month
    got = r.json()
    assert (got["suggested_monthly_price"], got["margin"], got["margin_percent"]) == ("25833", "124167", "82.78")
    assert (got["contract_value"], got["hours_per_year"]) == ("3650000", "18.00")
    assert [a["occurrences_in_term"] for a in got["activities"]] == [2, 8, 24]


async def test_a_bad_cadence_or_a_missing_rate_is_422_naming_the_field(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]]
) -> None:
    bad = body()
    bad["activities"][1]["cadence"] = "FREQ=DAILY"
    r = await client.post("/v1/packages/quote", json={"package": bad, "rates": RATES}, headers=auth("quote-c"))
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "loc": ["body", "package", "activities", 1, "cadence"],
            "msg": "cadence FREQ=DAILY is too frequent: activities recur weekly, monthly or yearly",
        }
    ]
    r = await client.post(
        "/v1/packages/quote", json={"package": body(), "rates": {"vcio": "175.00"}}, headers=auth("quote-c")
    )
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [
        ["body", "rates", "account_manager"],
        ["body", "rates", "technical_account_manager"],
    ]
    r = await client.post(
        "/v1/packages/quote",
        json={"package": body(monthly_price="1500.001"), "rates": RATES},
        headers=auth("quote-c"),
    )
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "package", "monthly_price"])
    no_scope = await client.post(
        "/v1/packages/quote", json={"package": body(), "rates": RATES}, headers=auth("quote-c", "billing:read")
    )
    assert no_scope.status_code == 403
