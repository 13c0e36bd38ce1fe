"""Pricing from effort: hours per year × rate ÷ 12, beside the list price and the margin."""

import httpx
import pytest

from vcio_shared.testing import auth

from ..conftest import Create  # noqa: TID252

# Each test works on packages of its own (or a tenant of its own), so the module shares one app and database.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(shared_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return shared_client


RATES = {"vcio": "175.00", "account_manager": "125.00", "technical_account_manager": "150.00"}


async def test_suggested_price_is_hours_per_year_times_rate_over_12(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.post(f"/v1/packages/{package['id']}/pricing", json={"rates": RATES}, headers=auth())
    assert r.status_code == 200, r.text
    # vcio 8 h × 175 = 1400; account manager 10 h × 125 = 1250; TAM 12 h × 150 = 1800; 4450 / 12 = 370.83
    assert r.json() == {
        "package_id": package["id"],
        "version": 1,
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
    }


async def test_billable_only_leaves_included_activities_out(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.post(
        f"/v1/packages/{package['id']}/pricing", json={"rates": RATES, "billable_only": True}, headers=auth()
    )
    assert [line["role"] for line in r.json()["lines"]] == ["account_manager", "vcio"]
    assert (r.json()["suggested_monthly_price"], r.json()["margin"], r.json()["margin_percent"]) == (
        "220.83",
        "1279.17",
        "85.28",
    )


async def test_margin_is_negative_when_the_list_price_is_below_cost(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(monthly_price="300.00")
    r = await client.post(f"/v1/packages/{package['id']}/pricing", json={"rates": RATES}, headers=auth())
    assert (r.json()["margin"], r.json()["margin_percent"]) == ("-70.83", "-23.61")


async def test_margin_percent_is_null_for_a_free_package(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(monthly_price="0.00")
    r = await client.post(f"/v1/packages/{package['id']}/pricing", json={"rates": RATES}, headers=auth())
    assert (r.json()["margin"], r.json()["margin_percent"]) == ("-370.83", None)


async def test_pricing_an_older_version(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"monthly_price": "2000.00"}, headers=auth())
    r = await client.post(f"/v1/packages/{package['id']}/pricing?version=1", json={"rates": RATES}, headers=auth())
    assert (r.json()["version"], r.json()["list_monthly_price"]) == (1, "1500.00")


async def test_a_role_with_hours_and_no_rate_is_422(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.post(f"/v1/packages/{package['id']}/pricing", json={"rates": {"vcio": "175.00"}}, headers=auth())
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [
        ["body", "rates", "account_manager"],
        ["body", "rates", "technical_account_manager"],
    ]


async def test_a_mis_scaled_rate_is_422(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.post(
        f"/v1/packages/{package['id']}/pricing", json={"rates": {**RATES, "vcio": "175.001"}}, headers=auth()
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "rates", "vcio"]


async def test_an_unknown_role_in_rates_is_422(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.post(
        f"/v1/packages/{package['id']}/pricing", json={"rates": {**RATES, "ceo": "500.00"}}, headers=auth()
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][:2] == ["body", "rates"]


async def test_pricing_needs_only_the_read_scope(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.post(
        f"/v1/packages/{package['id']}/pricing", json={"rates": RATES}, headers=auth(scopes="catalog:read")
    )
    assert r.status_code == 200
