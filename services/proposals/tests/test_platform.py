import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from vcio_shared.testing import eventually


def _routes(app: FastAPI) -> list[APIRoute]:
    found: list[APIRoute] = []

    def walk(routes: list) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            inner = getattr(route, "original_router", None)  # FastAPI wraps included routers
            if inner is not None:
                walk(list(inner.routes))

    walk(app.router.routes)
    return found


def _scopes(route: APIRoute) -> set[str]:
    out = set()

    def walk(dependant) -> None:
        scope = getattr(dependant.call, "required_scope", None)
        if scope:
            out.add(scope)
        for dep in dependant.dependencies:
            walk(dep)

    walk(route.dependant)
    return out


async def test_every_v1_route_demands_a_proposals_scope(client: httpx.AsyncClient, app: FastAPI) -> None:
    v1 = [r for r in _routes(app) if r.path.startswith("/v1/")]
    assert len(v1) >= 15
    missing = [r.path for r in v1 if not (_scopes(r) & {"proposals:read", "proposals:write"})]
    assert missing == []


async def test_client_page_routes_are_the_only_unauthenticated_ones_besides_platform(app: FastAPI) -> None:
    open_routes = {r.path for r in _routes(app) if not _scopes(r)}
    assert open_routes - {"/healthz", "/readyz", "/metrics"} == {
        "/p/{token}",
        "/p/{token}/quote",
        "/p/{token}/accept",
        "/p/{token}/decline",
        "/p/{token}/pdf",
    }


async def test_readyz_is_200_once_nats_is_connected(client: httpx.AsyncClient) -> None:
    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready)
