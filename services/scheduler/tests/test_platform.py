"""Platform behaviour: health, auth, scopes on every /v1 route, problem details."""

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute
from scheduler_helpers import auth_headers

from scheduler.main import build_app
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, eventually


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, including those inside included routers (FastAPI wraps them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes") and inner is not route:
            yield from _api_routes(list(inner.routes))


def _scopes(dependant: Any) -> set[str]:
    found = {getattr(d.call, "required_scope", None) for d in dependant.dependencies}
    for d in dependant.dependencies:
        found |= _scopes(d)
    return found - {None}


def test_every_v1_route_demands_a_scheduler_scope() -> None:
    app = build_app(load_settings("scheduler", database_url="postgresql://unused/db", jwt_secret=TEST_SECRET))
    checked = 0
    for route in _api_routes(list(app.routes)):
        if not route.path.startswith("/v1/"):
            continue
        assert _scopes(route.dependant) & {"scheduler:read", "scheduler:write"}, route.path
        checked += 1
    assert checked >= 20


async def test_healthz_and_readyz(client) -> None:
    assert (await client.get("/healthz")).status_code == 200

    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready)


async def test_no_token_is_401_and_wrong_scope_is_403(client) -> None:
    r = await client.get("/v1/activities")
    assert (r.status_code, r.headers["content-type"]) == (401, "application/problem+json")
    assert (await client.get("/v1/activities", headers=auth_headers(scopes="scheduler:write"))).status_code == 403
    assert (await client.get("/v1/activities", headers=auth_headers(scopes="billing:read"))).status_code == 403
    r = await client.post(
        "/v1/staff",
        json={"name": "x", "roles": ["vcio"], "weekly_capacity_hours": "1"},
        headers=auth_headers(scopes="scheduler:read"),
    )
    assert r.status_code == 403


async def test_malformed_bodies_are_422_not_500(client) -> None:
    h = {**auth_headers(), "content-type": "application/json"}
    for path in ["/v1/staff", "/v1/calendars/subscriptions"]:
        for raw in [b"{", b"[]", b"null", b'{"name": 1e999}', '"\u0000"'.encode()]:
            r = await client.post(path, content=raw, headers=h)
            assert r.status_code == 422, (path, raw, r.status_code)
    r = await client.put(
        "/v1/settings", json={"holiday_country": None, "holiday_subdivision": "CA"}, headers=auth_headers()
    )
    assert r.status_code == 422


async def test_openapi_is_served(client) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    assert "/v1/activities/{activity_id}/complete" in r.json()["paths"]
