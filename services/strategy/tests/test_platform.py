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


async def test_the_fiscal_year_start_is_january_until_set(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/settings", headers=auth())).json()["fiscal_year_start_month"] == 1
    r = await client.put("/v1/settings", json={"fiscal_year_start_month": 7}, headers=auth())
    assert (r.status_code, r.json()["fiscal_year_start_month"]) == (200, 7)
    assert (await client.get("/v1/settings", headers=auth())).json()["fiscal_year_start_month"] == 7
    assert (await client.get("/v1/settings", headers=auth("tenant-b"))).json()["fiscal_year_start_month"] == 1
    for bad in (0, 13, "July", 6.5, None):
        r = await client.put("/v1/settings", json={"fiscal_year_start_month": bad}, headers=auth())
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["loc"] == ["body", "fiscal_year_start_month"]
