"""Drafts are editable; publish freezes version N; editing a published package opens draft N+1; retire closes."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from vcio_shared.testing import auth

from ..conftest import Create  # noqa: TID252

# Each test works on packages of its own (or a tenant of its own), so the module shares one app and database.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(shared_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return shared_client


async def test_patch_edits_a_draft_in_place(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.patch(f"/v1/packages/{package['id']}", json={"monthly_price": "1750.00"}, headers=auth())
    assert r.status_code == 200
    assert (r.json()["version"], r.json()["status"], r.json()["monthly_price"]) == (1, "draft", "1750.00")
    assert r.json()["contract_value"] == "21500.00"


async def test_patch_keeps_the_fields_it_does_not_name(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.patch(f"/v1/packages/{package['id']}", json={"name": "Renamed"}, headers=auth())
    edited = r.json()
    assert edited["name"] == "Renamed"
    assert edited["activities"] == package["activities"]
    assert (edited["tier"], edited["onboarding_fee"]) == ("core", "500.00")


async def test_patch_can_clear_the_tier(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.patch(f"/v1/packages/{package['id']}", json={"tier": None}, headers=auth())
    assert r.json()["tier"] is None


async def test_patch_refuses_null_for_a_required_field(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.patch(f"/v1/packages/{package['id']}", json={"name": None}, headers=auth())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "name"]


async def test_patch_to_a_currency_with_other_digits_must_restate_the_price(
    client: httpx.AsyncClient, create: Create
) -> None:
    package = await create()
    r = await client.patch(f"/v1/packages/{package['id']}", json={"currency": "JPY"}, headers=auth())
    assert r.status_code == 422
    assert ["body", "monthly_price"] in [e["loc"] for e in r.json()["errors"]]


async def test_patch_refuses_unknown_fields(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.patch(f"/v1/packages/{package['id']}", json={"colour": "red"}, headers=auth())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "colour"]


async def test_patch_with_a_bad_cadence_is_422_and_changes_nothing(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    activities = [{**a, "cadence": "FREQ=SOMETIMES"} for a in package["activities"]]
    activities = [
        {k: a[k] for k in ("name", "category", "track", "billing_mode", "cadence", "role", "effort_hours")}
        for a in activities
    ]
    r = await client.patch(f"/v1/packages/{package['id']}", json={"activities": activities}, headers=auth())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "activities", 0, "cadence"]
    assert (await client.get(f"/v1/packages/{package['id']}", headers=auth())).json() == package


async def test_put_replaces_a_draft(
    client: httpx.AsyncClient, create: Create, body: Callable[..., dict[str, Any]]
) -> None:
    package = await create()
    new = body(name="Replaced", activities=body()["activities"][:1])
    r = await client.put(f"/v1/packages/{package['id']}", json=new, headers=auth())
    assert r.status_code == 200
    assert (r.json()["version"], r.json()["name"], len(r.json()["activities"])) == (1, "Replaced", 1)
    assert r.json()["effort_hours_per_year"] == {"vcio": "8.00"}


async def test_put_needs_the_whole_package(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.put(f"/v1/packages/{package['id']}", json={"name": "Only a name"}, headers=auth())
    assert r.status_code == 422


async def test_publish_freezes_version_1(client: httpx.AsyncClient, create: Create, clock: Any) -> None:
    package = await create()
    r = await client.post(f"/v1/packages/{package['id']}/publish", headers=auth())
    assert r.status_code == 200
    assert (r.json()["version"], r.json()["status"]) == (1, "published")
    assert r.json()["published_at"] == "2027-01-04T09:00:00Z"


async def test_publishing_twice_is_409(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    r = await client.post(f"/v1/packages/{package['id']}/publish", headers=auth())
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"


async def test_editing_a_published_package_opens_draft_2(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    r = await client.patch(f"/v1/packages/{package['id']}", json={"monthly_price": "1600.00"}, headers=auth())
    assert r.status_code == 200
    draft = r.json()
    assert (draft["id"], draft["version"], draft["status"], draft["monthly_price"]) == (
        package["id"],
        2,
        "draft",
        "1600.00",
    )
    assert draft["latest_version"] == 2


async def test_published_version_never_changes_after_an_edit(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.patch(
        f"/v1/packages/{package['id']}", json={"monthly_price": "1600.00", "name": "New"}, headers=auth()
    )
    old = (await client.get(f"/v1/packages/{package['id']}?version=1", headers=auth())).json()
    assert {k: v for k, v in old.items() if k != "latest_version"} == {
        k: v for k, v in package.items() if k != "latest_version"
    }
    assert old["latest_version"] == 2


async def test_get_without_version_answers_the_latest(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "New"}, headers=auth())
    latest = (await client.get(f"/v1/packages/{package['id']}", headers=auth())).json()
    assert (latest["version"], latest["status"], latest["name"]) == (2, "draft", "New")


async def test_publishing_draft_2_makes_version_2_published(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "New"}, headers=auth())
    r = await client.post(f"/v1/packages/{package['id']}/publish", headers=auth())
    assert (r.json()["version"], r.json()["status"]) == (2, "published")
    v1 = (await client.get(f"/v1/packages/{package['id']}?version=1", headers=auth())).json()
    assert v1["status"] == "published"


async def test_editing_draft_2_again_does_not_open_draft_3(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "New"}, headers=auth())
    r = await client.patch(f"/v1/packages/{package['id']}", json={"name": "Newer"}, headers=auth())
    assert (r.json()["version"], r.json()["name"]) == (2, "Newer")


async def test_two_edits_at_once_of_a_published_package_open_one_draft(
    client: httpx.AsyncClient, create: Create
) -> None:
    package = await create(publish=True)
    url = f"/v1/packages/{package['id']}"
    answers = await asyncio.gather(*(client.patch(url, json={"name": f"Edit {i}"}, headers=auth()) for i in range(4)))
    assert sorted(r.status_code for r in answers) == [200] * 4
    assert {r.json()["version"] for r in answers} == {2}
    assert (await client.get(url, headers=auth())).json()["latest_version"] == 2


async def test_missing_version_is_404(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.get(f"/v1/packages/{package['id']}?version=2", headers=auth())
    assert r.status_code == 404


async def test_unknown_package_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/packages/0190f2c4-0000-7000-8000-000000000000", headers=auth())
    assert r.status_code == 404


async def test_retire_marks_every_version_retired(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "New"}, headers=auth())
    r = await client.post(f"/v1/packages/{package['id']}/retire", headers=auth())
    assert r.status_code == 200
    assert (r.json()["version"], r.json()["status"], r.json()["retired_at"]) == (2, "retired", "2027-01-04T09:00:00Z")
    v1 = (await client.get(f"/v1/packages/{package['id']}?version=1", headers=auth())).json()
    assert v1["status"] == "retired"


async def test_retired_version_stays_readable_with_its_content(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.post(f"/v1/packages/{package['id']}/retire", headers=auth())
    v1 = (await client.get(f"/v1/packages/{package['id']}?version=1", headers=auth())).json()
    assert (v1["monthly_price"], v1["activities"]) == (package["monthly_price"], package["activities"])


async def test_editing_a_retired_package_is_409(
    client: httpx.AsyncClient, create: Create, body: Callable[..., dict[str, Any]]
) -> None:
    package = await create(publish=True)
    await client.post(f"/v1/packages/{package['id']}/retire", headers=auth())
    patched = await client.patch(f"/v1/packages/{package['id']}", json={"name": "x"}, headers=auth())
    put = await client.put(f"/v1/packages/{package['id']}", json=body(), headers=auth())
    assert (patched.status_code, put.status_code) == (409, 409)


async def test_publishing_a_retired_package_is_409(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "New"}, headers=auth())
    await client.post(f"/v1/packages/{package['id']}/retire", headers=auth())
    r = await client.post(f"/v1/packages/{package['id']}/publish", headers=auth())
    assert r.status_code == 409


async def test_retiring_twice_is_409(client: httpx.AsyncClient, create: Create) -> None:
    package = await create(publish=True)
    await client.post(f"/v1/packages/{package['id']}/retire", headers=auth())
    r = await client.post(f"/v1/packages/{package['id']}/retire", headers=auth())
    assert r.status_code == 409


async def test_retiring_a_never_published_draft_is_409(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.post(f"/v1/packages/{package['id']}/retire", headers=auth())
    assert r.status_code == 409


async def test_each_change_is_audited(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    pid = package["id"]
    await client.patch(f"/v1/packages/{pid}", json={"monthly_price": "1600.00"}, headers=auth())
    await client.post(f"/v1/packages/{pid}/publish", headers=auth())
    await client.patch(f"/v1/packages/{pid}", json={"name": "New"}, headers=auth())
    await client.post(f"/v1/packages/{pid}/retire", headers=auth())
    entries = (await client.get(f"/v1/audit?entity_id={pid}", headers=auth())).json()["items"]
    assert [e["action"] for e in entries] == [
        "package.created",
        "package.updated",
        "package.published",
        "package.draft_created",
        "package.retired",
    ]
    assert entries[1]["changes"]["monthly_price"] == {"from": "1500.00", "to": "1600.00"}
