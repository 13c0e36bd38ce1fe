import httpx

from vcio_shared.testing import auth, eventually


async def test_healthz_answers_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200


async def test_readyz_is_200_once_nats_is_connected(client: httpx.AsyncClient) -> None:
    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready)


async def test_audit_needs_a_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/audit")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


async def test_audit_lists_nothing_for_a_new_tenant(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/audit", headers=auth())
    assert r.status_code == 200
    assert r.json() == {"items": [], "next_cursor": None}
