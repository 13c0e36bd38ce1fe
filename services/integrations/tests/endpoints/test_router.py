import base64
import uuid

import httpx

from vcio_shared.testing import auth

URL = "https://hooks.example.com/vcio"  # the service is built with private addresses allowed: no DNS look-up


async def _create(client: httpx.AsyncClient, tenant: str = "tenant-a", **body: object) -> httpx.Response:
    return await client.post("/v1/webhook-endpoints", json={"url": URL, **body}, headers=auth(tenant))


async def test_create_answers_the_endpoint_and_a_secret_shown_once(client: httpx.AsyncClient) -> None:
    r = await _create(client, description="PSA", event_types=["vcio.billing.invoice.*"])
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["url"] == URL
    assert created["description"] == "PSA"
    assert created["event_types"] == ["vcio.billing.invoice.*"]
    assert created["client_id"] is None
    assert created["enabled"] is True
    assert created["created_at"] == "2027-01-04T09:00:00Z"
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"][6:])) == 32
    shown = (await client.get(f"/v1/webhook-endpoints/{created['id']}", headers=auth())).json()
    assert "secret" not in shown
    assert shown == {k: v for k, v in created.items() if k != "secret"}


async def test_the_secret_is_stored_encrypted(client: httpx.AsyncClient, service: object) -> None:
    import sqlalchemy as sa

    created = (await _create(client)).json()
    async with service.runtime.sessionmaker() as session:  # type: ignore[attr-defined]
        stored = (await session.execute(sa.text("SELECT secret FROM webhook_endpoints"))).scalar_one()
    assert created["secret"] not in stored
    assert created["secret"][6:] not in stored


async def test_an_idempotent_retry_answers_the_same_secret_and_makes_no_second_endpoint(
    client: httpx.AsyncClient,
) -> None:
    headers = {**auth(), "Idempotency-Key": "k-1"}
    first = await client.post("/v1/webhook-endpoints", json={"url": URL}, headers=headers)
    again = await client.post("/v1/webhook-endpoints", json={"url": URL}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotency-Replayed"] == "true"
    listed = (await client.get("/v1/webhook-endpoints", headers=auth())).json()
    assert [e["id"] for e in listed["items"]] == [first.json()["id"]]


async def test_list_pages_and_filters_on_enabled_and_client(client: httpx.AsyncClient) -> None:
    ids = [(await _create(client, enabled=n != 1)).json()["id"] for n in range(3)]
    first = (await client.get("/v1/webhook-endpoints", params={"limit": 2}, headers=auth())).json()
    assert [e["id"] for e in first["items"]] == ids[:2]
    rest = await client.get("/v1/webhook-endpoints", params={"cursor": first["next_cursor"]}, headers=auth())
    assert [e["id"] for e in rest.json()["items"]] == ids[2:]
    assert rest.json()["next_cursor"] is None
    disabled = (await client.get("/v1/webhook-endpoints", params={"enabled": "false"}, headers=auth())).json()
    assert [e["id"] for e in disabled["items"]] == [ids[1]]
    client_id = str(uuid.uuid4())
    mine = (await _create(client, client_id=client_id)).json()["id"]
    of_client = (await client.get("/v1/webhook-endpoints", params={"client_id": client_id}, headers=auth())).json()
    assert [e["id"] for e in of_client["items"]] == [mine]


async def test_patch_changes_only_what_is_given_and_null_is_refused(client: httpx.AsyncClient) -> None:
    created = (await _create(client, description="old")).json()
    path = f"/v1/webhook-endpoints/{created['id']}"
    client_id = str(uuid.uuid4())
    r = await client.patch(path, json={"event_types": ["vcio.billing.*"], "client_id": client_id}, headers=auth())
    assert r.status_code == 200, r.text
    assert (r.json()["event_types"], r.json()["client_id"], r.json()["description"]) == (
        ["vcio.billing.*"],
        client_id,
        "old",
    )
    refused = await client.patch(path, json={"url": None}, headers=auth())
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "url"]


async def test_delete_then_it_is_gone(client: httpx.AsyncClient) -> None:
    created = (await _create(client)).json()
    path = f"/v1/webhook-endpoints/{created['id']}"
    assert (await client.delete(path, headers=auth())).status_code == 204
    assert (await client.get(path, headers=auth())).status_code == 404
    assert (await client.delete(path, headers=auth())).status_code == 404


async def test_another_tenants_endpoint_is_404_everywhere(client: httpx.AsyncClient) -> None:
    created = (await _create(client, tenant="tenant-a")).json()
    path = f"/v1/webhook-endpoints/{created['id']}"
    b = auth("tenant-b")
    assert (await client.get(path, headers=b)).status_code == 404
    assert (await client.patch(path, json={"enabled": False}, headers=b)).status_code == 404
    assert (await client.delete(path, headers=b)).status_code == 404
    assert (await client.post(f"{path}/rotate-secret", headers=b)).status_code == 404
    assert (await client.post(f"{path}/test", headers=b)).status_code == 404
    assert (await client.get(f"{path}/deliveries", headers=b)).status_code == 404
    assert (await client.get("/v1/webhook-endpoints", headers=b)).json() == {"items": [], "next_cursor": None}
    assert (await client.get(path, headers=auth("tenant-a"))).status_code == 200


async def test_rotate_answers_a_new_secret(client: httpx.AsyncClient) -> None:
    created = (await _create(client)).json()
    r = await client.post(f"/v1/webhook-endpoints/{created['id']}/rotate-secret", headers=auth())
    assert r.status_code == 200
    assert r.json()["secret"].startswith("whsec_")
    assert r.json()["secret"] != created["secret"]


async def test_bad_bodies_are_422_problems(client: httpx.AsyncClient) -> None:
    for body in (
        {"url": "ftp://example.com/x"},
        {"url": URL, "event_types": ["vcio.billing.*.x"]},
        {"url": URL, "event_types": ["VCIO"]},
        {"url": URL, "unknown": 1},
        {"url": URL, "client_id": "not-a-uuid"},
    ):
        r = await client.post("/v1/webhook-endpoints", json=body, headers=auth())
        assert r.status_code == 422, body
        assert r.headers["content-type"] == "application/problem+json"


async def test_scopes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/webhook-endpoints", headers=auth(scopes="integrations:write"))).status_code == 403
    r = await client.post("/v1/webhook-endpoints", json={"url": URL}, headers=auth(scopes="integrations:read"))
    assert r.status_code == 403
