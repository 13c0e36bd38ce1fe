"""Tenant settings: hourly rates per currency and role, used by pricing and quotes that give no rates."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from vcio_shared.testing import auth

from ..conftest import Create  # noqa: TID252

# Each test works on tenants of its own, so the module shares one app and database.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(shared_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return shared_client


USD = {"vcio": "175", "account_manager": "125.00", "technical_account_manager": "150.5"}
JPY = {"vcio": "20000", "account_manager": "15000", "technical_account_manager": "18000"}
SAVED_AT = "2027-01-04T09:00:00Z"


async def test_settings_start_empty_and_a_put_keeps_each_rate_in_its_currency_digits(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/settings", headers=auth("rates-a"))
    assert (r.status_code, r.json()) == (200, {"hourly_rates": {}, "updated_at": None})
    r = await client.put("/v1/settings", json={"hourly_rates": {"USD": USD, "JPY": JPY}}, headers=auth("rates-a"))
    assert r.status_code == 200, r.text
    expected = {
        "hourly_rates": {
            "JPY": {"account_manager": "15000", "technical_account_manager": "18000", "vcio": "20000"},
            "USD": {"account_manager": "125.00", "technical_account_manager": "150.50", "vcio": "175.00"},
        },
        "updated_at": SAVED_AT,
    }
    assert r.json() == expected
    r = await client.get("/v1/settings", headers=auth("rates-a", "catalog:read"))
    assert r.json() == expected
    # a PUT replaces the whole: JPY left out is gone; {} clears every rate
    r = await client.put("/v1/settings", json={"hourly_rates": {"USD": {"vcio": "180"}}}, headers=auth("rates-a"))
    assert r.json()["hourly_rates"] == {"USD": {"vcio": "180.00"}}
    r = await client.put("/v1/settings", json={}, headers=auth("rates-a", sub="alice"))
    assert r.json() == {"hourly_rates": {}, "updated_at": SAVED_AT}
    entries = (await client.get("/v1/audit?entity_id=rates-a", headers=auth("rates-a"))).json()["items"]
    assert [(e["action"], e["actor"]) for e in entries][-1] == ("settings.updated", "alice")
    assert len(entries) == 3
    assert entries[-1]["changes"] == {"hourly_rates": {"from": {"USD": {"vcio": "180.00"}}, "to": {}}}


async def test_pricing_and_quotes_without_rates_use_the_saved_ones_of_the_package_currency(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]], create: Create
) -> None:
    rates = {"vcio": "175.00", "account_manager": "125.00", "technical_account_manager": "150.00"}
    await client.put("/v1/settings", json={"hourly_rates": {"USD": rates, "JPY": JPY}}, headers=auth("rates-b"))
    package = await create(tenant="rates-b")
    r = await client.post(f"/v1/packages/{package['id']}/pricing", json={}, headers=auth("rates-b", "catalog:read"))
    assert r.status_code == 200, r.text
    # vcio 8 h × 175 = 1400; account manager 10 h × 125 = 1250; TAM 12 h × 150 = 1800; 4450 / 12 = 370.83
    got = r.json()
    assert [(line["role"], line["rate"], line["annual_amount"]) for line in got["lines"]] == [
        ("account_manager", "125.00", "1250.00"),
        ("technical_account_manager", "150.00", "1800.00"),
        ("vcio", "175.00", "1400.00"),
    ]
    assert (got["annual_effort_amount"], got["suggested_monthly_price"], got["margin"]) == (
        "4450.00",
        "370.83",
        "1129.17",
    )
    # a quote of the same package as typed, without rates: the same figures
    r = await client.post("/v1/packages/quote", json={"package": body()}, headers=auth("rates-b"))
    assert (r.status_code, r.json()["suggested_monthly_price"], r.json()["contract_value"]) == (
        200,
        "370.83",
        "18500.00",
    )
    # rates given win, whole (vcio at 200: 1600 + 1250 + 1800 = 4650 / 12 = 387.50)
    given = {**rates, "vcio": "200.00"}
    r = await client.post(f"/v1/packages/{package['id']}/pricing", json={"rates": given}, headers=auth("rates-b"))
    assert r.json()["suggested_monthly_price"] == "387.50"
    r = await client.post(
        f"/v1/packages/{package['id']}/pricing", json={"rates": {"vcio": "200.00"}}, headers=auth("rates-b")
    )
    assert [e["loc"] for e in r.json()["errors"]] == [
        ["body", "rates", "account_manager"],
        ["body", "rates", "technical_account_manager"],
    ]
    # a yen package takes the yen rates: 8 × 20000 + 10 × 15000 + 12 × 18000 = 526000 a year → 43833 a month
    yen = body(currency="JPY", monthly_price="150000", onboarding_fee="50000")
    r = await client.post("/v1/packages/quote", json={"package": yen}, headers=auth("rates-b"))
    assert (r.json()["annual_effort_amount"], r.json()["suggested_monthly_price"]) == ("526000", "43833")


async def test_without_saved_rates_in_the_currency_pricing_needs_rates_given(
    client: httpx.AsyncClient, body: Callable[..., dict[str, Any]], create: Create
) -> None:
    package = await create(tenant="rates-c")
    r = await client.post(f"/v1/packages/{package['id']}/pricing", json={}, headers=auth("rates-c"))
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"loc": ["body", "rates"], "msg": "no rates given, and none saved for USD (PUT /v1/settings hourly_rates)"}
    ]
    # saved in euros only: a dollar package still has none
    await client.put("/v1/settings", json={"hourly_rates": {"EUR": {"vcio": "160.00"}}}, headers=auth("rates-c"))
    r = await client.post("/v1/packages/quote", json={"package": body()}, headers=auth("rates-c"))
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "rates"])
    # saved in dollars, but not for every role the package uses
    await client.put("/v1/settings", json={"hourly_rates": {"USD": {"vcio": "175.00"}}}, headers=auth("rates-c"))
    r = await client.post(f"/v1/packages/{package['id']}/pricing", json={}, headers=auth("rates-c"))
    assert r.json()["errors"] == [
        {
            "loc": ["body", "rates", "account_manager"],
            "msg": "no rate for account_manager in the rates saved for USD (PUT /v1/settings), "
            "who spends 10.00 hours a year on this package",
        },
        {
            "loc": ["body", "rates", "technical_account_manager"],
            "msg": "no rate for technical_account_manager in the rates saved for USD (PUT /v1/settings), "
            "who spends 12.00 hours a year on this package",
        },
    ]


@pytest.mark.parametrize(
    ("rates", "loc"),
    [
        ({"USD": {"vcio": "175.001"}}, ["body", "hourly_rates", "USD", "vcio"]),
        ({"JPY": {"vcio": "20000.5"}}, ["body", "hourly_rates", "JPY", "vcio"]),
        ({"USD": {"vcio": "-1.00"}}, ["body", "hourly_rates", "USD", "vcio"]),
        ({"USD": {"vcio": "1000000000.01"}}, ["body", "hourly_rates", "USD", "vcio"]),
        ({"XYZ": {"vcio": "175.00"}}, ["body", "hourly_rates", "XYZ", "[key]"]),
        ({"USD": {"ceo": "175.00"}}, ["body", "hourly_rates", "USD", "ceo", "[key]"]),
        ({"USD": {}}, ["body", "hourly_rates", "USD"]),
    ],
)
async def test_a_bad_rate_is_422_naming_it_and_changes_nothing(
    client: httpx.AsyncClient, rates: dict[str, Any], loc: list[str]
) -> None:
    await client.put("/v1/settings", json={"hourly_rates": {"EUR": {"vcio": "160"}}}, headers=auth("rates-d"))
    r = await client.put("/v1/settings", json={"hourly_rates": rates}, headers=auth("rates-d"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["loc"] == loc
    r = await client.get("/v1/settings", headers=auth("rates-d"))
    assert r.json()["hourly_rates"] == {"EUR": {"vcio": "160.00"}}


async def test_settings_are_the_tenant_own_and_writing_them_needs_the_write_scope(
    client: httpx.AsyncClient, create: Create
) -> None:
    rates = {"vcio": "175.00", "account_manager": "125.00", "technical_account_manager": "150.00"}
    await client.put("/v1/settings", json={"hourly_rates": {"USD": rates}}, headers=auth("rates-e"))
    r = await client.get("/v1/settings", headers=auth("rates-f"))
    assert r.json() == {"hourly_rates": {}, "updated_at": None}
    package = await create(tenant="rates-f")
    r = await client.post(f"/v1/packages/{package['id']}/pricing", json={}, headers=auth("rates-f"))
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "rates"])
    r = await client.put("/v1/settings", json={"hourly_rates": {}}, headers=auth("rates-e", "catalog:read"))
    assert r.status_code == 403
    r = await client.get("/v1/settings", headers=auth("rates-e", "billing:read"))
    assert r.status_code == 403
    assert (await client.get("/v1/settings", headers=auth("rates-e"))).json()["hourly_rates"] == {"USD": rates}
