"""The starter catalog: three published tiers, covering the vCIO's jobs; loading twice changes nothing."""

import asyncio

import httpx

from vcio_shared.testing import auth
from vcio_shared.vocabulary import CATEGORIES

ALL_CATEGORIES = set(CATEGORIES)  # every job a vCIO is described with


async def test_starter_catalog_loads_three_published_tiers(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/starter-catalog", headers=auth())
    assert r.status_code == 201
    assert r.json()["created"] == 3
    assert [
        (p["name"], p["tier"], p["monthly_price"], p["currency"], p["term_months"], p["status"], p["version"])
        for p in r.json()["packages"]
    ] == [
        ("vCIO Essentials", "essentials", "1500.00", "USD", 12, "published", 1),
        ("vCIO Growth", "growth", "3000.00", "USD", 12, "published", 1),
        ("vCIO Strategic", "strategic", "5000.00", "USD", 12, "published", 1),
    ]
    assert [p["contract_value"] for p in r.json()["packages"]] == ["18000.00", "36000.00", "60000.00"]


async def test_every_starter_tier_covers_the_six_jobs_the_technical_reviews_and_account_management(
    client: httpx.AsyncClient,
) -> None:
    packages = (await client.post("/v1/starter-catalog", headers=auth())).json()["packages"]
    for package in packages:
        assert {a["category"] for a in package["activities"]} == ALL_CATEGORIES, package["name"]
        names = " ".join(a["name"] for a in package["activities"])
        assert "NIST" in names and "QBR" in names and "Renewal" in names, package["name"]


async def test_starter_cadences_are_yearly_quarterly_and_monthly(client: httpx.AsyncClient) -> None:
    packages = (await client.post("/v1/starter-catalog", headers=auth())).json()["packages"]
    for package in packages:
        assert {a["cadence"] for a in package["activities"]} == {
            "FREQ=YEARLY",
            "FREQ=MONTHLY;INTERVAL=3",
            "FREQ=MONTHLY",
        }, package["name"]
        assert {a["occurrences_in_term"] for a in package["activities"]} == {1, 4, 12}


async def test_starter_effort_grows_with_the_tier(client: httpx.AsyncClient) -> None:
    packages = (await client.post("/v1/starter-catalog", headers=auth())).json()["packages"]
    assert [p["total_effort_hours_per_year"] for p in packages] == ["67.00", "158.00", "303.00"]
    assert packages[0]["effort_hours_per_year"] == {
        "account_manager": "10.00",
        "technical_account_manager": "32.00",
        "vcio": "25.00",
    }


async def test_loading_the_starter_catalog_twice_changes_nothing(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/starter-catalog", headers=auth())
    second = await client.post("/v1/starter-catalog", headers=auth())
    assert second.status_code == 200
    assert second.json() == {"created": 0, "packages": first.json()["packages"]}
    assert len((await client.get("/v1/packages", headers=auth())).json()["items"]) == 3
    assert len((await client.get("/v1/audit", headers=auth())).json()["items"]) == 3


async def test_loading_twice_at_once_loads_once(client: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(*(client.post("/v1/starter-catalog", headers=auth()) for _ in range(3)))
    assert sorted(r.status_code for r in answers) == [200, 200, 201]
    assert len((await client.get("/v1/packages", headers=auth())).json()["items"]) == 3


async def test_an_edited_starter_package_is_not_reloaded(client: httpx.AsyncClient) -> None:
    packages = (await client.post("/v1/starter-catalog", headers=auth())).json()["packages"]
    await client.post(f"/v1/packages/{packages[0]['id']}/retire", headers=auth())
    again = (await client.post("/v1/starter-catalog", headers=auth())).json()
    assert again["created"] == 0
    assert again["packages"][0]["status"] == "retired"


async def test_each_tenant_gets_its_own_starter_catalog(client: httpx.AsyncClient) -> None:
    a = (await client.post("/v1/starter-catalog", headers=auth("tenant-a"))).json()
    b = await client.post("/v1/starter-catalog", headers=auth("tenant-b"))
    assert b.json()["created"] == 3
    assert not {p["id"] for p in a["packages"]} & {p["id"] for p in b.json()["packages"]}
