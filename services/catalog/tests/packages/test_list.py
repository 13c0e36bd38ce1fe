"""Lists: one entry per package, cursors, and filters by status, tier, category and currency."""

from typing import Any

import httpx

from vcio_shared.testing import auth

from ..conftest import Create  # noqa: TID252


async def _ids(client: httpx.AsyncClient, query: str = "") -> list[str]:
    r = await client.get(f"/v1/packages{query}", headers=auth())
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


async def test_list_pages_with_a_cursor(client: httpx.AsyncClient, create: Create) -> None:
    made = [(await create(name=f"P{i}"))["id"] for i in range(5)]
    first = (await client.get("/v1/packages?limit=2", headers=auth())).json()
    second = (await client.get(f"/v1/packages?limit=2&cursor={first['next_cursor']}", headers=auth())).json()
    third = (await client.get(f"/v1/packages?limit=2&cursor={second['next_cursor']}", headers=auth())).json()
    assert [p["id"] for p in first["items"] + second["items"] + third["items"]] == made
    assert third["next_cursor"] is None


async def test_list_shows_one_entry_per_package_its_latest_version(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "New"}, headers=auth())
    items = (await client.get("/v1/packages", headers=auth())).json()["items"]
    assert [(p["id"], p["version"], p["status"], p["latest_version"]) for p in items] == [
        (package["id"], 2, "draft", 2)
    ]


async def test_status_published_shows_the_published_version_while_a_draft_is_open(
    client: httpx.AsyncClient, create: Create
) -> None:
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "New"}, headers=auth())
    items = (await client.get("/v1/packages?status=published", headers=auth())).json()["items"]
    assert [(p["version"], p["status"], p["name"]) for p in items] == [(1, "published", "vCIO Core")]


async def test_status_filter(client: httpx.AsyncClient, create: Create) -> None:
    draft = await create(name="Draft")
    published = await create(name="Published", publish=True)
    retired = await create(name="Retired", publish=True)
    await client.post(f"/v1/packages/{retired['id']}/retire", headers=auth())
    assert await _ids(client, "?status=draft") == [draft["id"]]
    assert await _ids(client, "?status=published") == [published["id"]]
    assert await _ids(client, "?status=retired") == [retired["id"]]


async def test_tier_filter(client: httpx.AsyncClient, create: Create) -> None:
    await create(tier="essentials")
    growth = await create(tier="growth")
    assert await _ids(client, "?tier=growth") == [growth["id"]]


async def test_currency_filter(client: httpx.AsyncClient, create: Create) -> None:
    await create()
    eur = await create(currency="EUR")
    assert await _ids(client, "?currency=EUR") == [eur["id"]]


async def test_category_filter_matches_packages_with_such_an_activity(
    client: httpx.AsyncClient, create: Create, body: Any
) -> None:
    with_security = body()["activities"] + [
        {
            "name": "NIST review",
            "category": "cybersecurity",
            "track": "technical",
            "billing_mode": "included",
            "cadence": "FREQ=MONTHLY;INTERVAL=3",
            "role": "technical_account_manager",
            "effort_hours": "3",
        }
    ]
    await create()
    secure = await create(activities=with_security)
    assert await _ids(client, "?category=cybersecurity") == [secure["id"]]
    assert len(await _ids(client, "?category=it_strategy")) == 2


async def test_filters_combine(client: httpx.AsyncClient, create: Create) -> None:
    await create(tier="growth", currency="EUR")
    await create(tier="growth", publish=True)
    match = await create(tier="growth", currency="EUR", publish=True)
    assert await _ids(client, "?tier=growth&currency=EUR&status=published&category=account_management") == [match["id"]]


async def test_bad_filters_are_422(client: httpx.AsyncClient) -> None:
    for query, loc in [
        ("?status=archived", ["query", "status"]),
        ("?category=gardening", ["query", "category"]),
        ("?currency=XYZ", ["query", "currency"]),
        ("?limit=0", ["query", "limit"]),
        ("?limit=201", ["query", "limit"]),
        ("?cursor=%%%", ["query", "cursor"]),
    ]:
        r = await client.get(f"/v1/packages{query}", headers=auth())
        assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, loc), query
