import httpx

from vcio_shared.testing import auth, eventually


async def test_the_probes_answer_once_connected(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200

    async def ready() -> object:
        r = await client.get("/readyz")
        return r.status_code == 200 and r.json()

    assert await eventually(ready) == {"status": "ready", "checks": {"database": "ok", "nats": "ok"}}
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")


async def test_openapi_names_the_service_and_its_routes(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert doc["info"]["title"] == "vcio strategy"
    assert {"/v1/standards", "/v1/standards/{standard_id}/publish", "/v1/settings"} <= set(doc["paths"])


async def test_a_route_needs_a_strategy_scope(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/standards", headers=auth(scopes="catalog:read"))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.post("/v1/standards", json={}, headers=auth(scopes="strategy:read"))
    assert r.status_code == 403
    assert (await client.get("/v1/standards")).status_code == 401
