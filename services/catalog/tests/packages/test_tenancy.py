"""Another tenant's package is 404 on every endpoint, exactly as if it did not exist; scopes are enforced."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from vcio_shared.testing import auth

from ..conftest import Create  # noqa: TID252

# Each test works on packages of its own (or a tenant of its own), so the module shares one app and database.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(shared_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return shared_client


RATES = {"vcio": "175.00", "account_manager": "125.00", "technical_account_manager": "150.00"}


def _calls(pid: str, body: dict[str, Any]) -> dict[str, tuple[str, str, Any]]:
    return {
        "get": ("GET", f"/v1/packages/{pid}", None),
        "get_version": ("GET", f"/v1/packages/{pid}?version=1", None),
        "put": ("PUT", f"/v1/packages/{pid}", body),
        "patch": ("PATCH", f"/v1/packages/{pid}", {"name": "Stolen"}),
        "publish": ("POST", f"/v1/packages/{pid}/publish", None),
        "retire": ("POST", f"/v1/packages/{pid}/retire", None),
        "pricing": ("POST", f"/v1/packages/{pid}/pricing", {"rates": RATES}),
    }


@pytest.mark.parametrize("call", list(_calls("x", {})))
async def test_another_tenants_package_is_404(
    client: httpx.AsyncClient, create: Create, body: Callable[..., dict[str, Any]], call: str
) -> None:
    package = await create("tenant-a", publish=True)
    method, url, payload = _calls(package["id"], body())[call]
    r = await client.request(method, url, json=payload, headers=auth("tenant-b"))
    assert r.status_code == 404
    unknown = await client.request(
        method,
        url.replace(package["id"], "0190f2c4-0000-7000-8000-000000000000"),
        json=payload,
        headers=auth("tenant-b"),
    )
    assert r.json() == unknown.json()


async def test_another_tenants_package_is_left_untouched(
    client: httpx.AsyncClient, create: Create, body: Callable[..., dict[str, Any]]
) -> None:
    package = await create("tenant-a", publish=True)
    for method, url, payload in _calls(package["id"], body()).values():
        await client.request(method, url, json=payload, headers=auth("tenant-b"))
    after = (await client.get(f"/v1/packages/{package['id']}", headers=auth("tenant-a"))).json()
    assert after == package


async def test_list_shows_only_the_callers_packages(client: httpx.AsyncClient, create: Create) -> None:
    mine = await create("tenant-list-a")
    await create("tenant-list-b")
    items = (await client.get("/v1/packages", headers=auth("tenant-list-a"))).json()["items"]
    assert [p["id"] for p in items] == [mine["id"]]


async def test_reading_needs_the_read_scope(client: httpx.AsyncClient, create: Create) -> None:
    package = await create()
    r = await client.get(f"/v1/packages/{package['id']}", headers=auth(scopes="catalog:write"))
    assert r.status_code == 403
    assert (await client.get("/v1/packages", headers=auth(scopes="proposals:read"))).status_code == 403


async def test_writing_needs_the_write_scope(
    client: httpx.AsyncClient, create: Create, body: Callable[..., dict[str, Any]]
) -> None:
    package = await create()
    read_only = auth(scopes="catalog:read")
    answers = [
        await client.post("/v1/packages", json=body(), headers=read_only),
        await client.patch(f"/v1/packages/{package['id']}", json={"name": "x"}, headers=read_only),
        await client.put(f"/v1/packages/{package['id']}", json=body(), headers=read_only),
        await client.post(f"/v1/packages/{package['id']}/publish", headers=read_only),
        await client.post(f"/v1/packages/{package['id']}/retire", headers=read_only),
        await client.post("/v1/starter-catalog", headers=read_only),
    ]
    assert [r.status_code for r in answers] == [403] * 6


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/packages")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


async def test_every_v1_route_demands_a_catalog_scope() -> None:
    from catalog.main import build_app
    from vcio_shared.settings import load_settings
    from vcio_shared.testing import TEST_SECRET

    app = build_app(load_settings("catalog", database_url="postgresql://x/y", jwt_secret=TEST_SECRET))
    unscoped = []
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/v1"):
            scopes = {getattr(d.call, "required_scope", None) for d in route.dependant.dependencies}
            if not scopes & {"catalog:read", "catalog:write"}:
                unscoped.append(route.path)
    assert unscoped == []
