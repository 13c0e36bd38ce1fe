import uuid

import httpx

from services.proposals.tests.support import await_published, create_client
from vcio_shared.testing import auth

BODY = {"name": "Acme Dental", "email": "office@acme-dental.example", "timezone": "America/New_York"}


async def test_create_client_applies_defaults(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/clients", json=BODY, headers=auth())
    assert r.status_code == 201
    body = r.json()
    assert (body["currency"], body["tax_rate"], body["payment_terms_days"]) == ("USD", "0.00", 30)
    assert body["contacts"] == [] and body["external_refs"] == {}


async def test_create_client_keeps_tax_rate_terms_contacts_and_psa_refs(client: httpx.AsyncClient) -> None:
    c = await create_client(
        client,
        tax_rate="8.875",
        payment_terms_days=15,
        currency="EUR",
        contacts=[{"name": "Dr. Ada", "email": "ada@acme-dental.example", "role": "owner"}],
        external_refs={"connectwise": "CW-1042", "halopsa": "77"},
    )
    got = (await client.get(f"/v1/clients/{c['id']}", headers=auth())).json()
    assert got["tax_rate"] == "8.875"
    assert got["payment_terms_days"] == 15
    assert got["currency"] == "EUR"
    assert got["contacts"] == [{"name": "Dr. Ada", "email": "ada@acme-dental.example", "phone": None, "role": "owner"}]
    assert got["external_refs"] == {"connectwise": "CW-1042", "halopsa": "77"}


BAD_CLIENTS = [
    {"timezone": "Mars/Olympus_Mons"},
    {"email": "not-an-email"},
    {"tax_rate": "100"},
    {"tax_rate": 8.25},
    {"currency": "XXX"},
    {"payment_terms_days": 366},
    {"nickname": "acme"},
    {"name": ""},
    {"external_refs": {"Bad Key": "1"}},
    {"name": "Acme\u0000Dental"},
]


async def test_create_client_refuses_bad_input_with_422(client: httpx.AsyncClient) -> None:
    wrong = []
    for change in BAD_CLIENTS:
        r = await client.post("/v1/clients", json={**BODY, **change}, headers=auth())
        ok = (
            r.status_code == 422
            and r.headers["content-type"] == "application/problem+json"
            and bool(r.json().get("errors"))
        )
        if not ok:
            wrong.append((change, r.status_code))
    assert wrong == []
    assert (await client.get("/v1/clients", headers=auth())).json()["items"] == []


async def test_create_client_emits_client_created(client: httpx.AsyncClient, nats_url: str) -> None:
    c = await create_client(client)
    events = await await_published(nats_url, "vcio.proposals.client.created", 1)
    assert [e["data"] for e in events] == [c]
    assert events[0]["tenantid"] == "tenant-a"
    assert events[0]["data"]["tax_rate"] == "8.25"


async def test_update_client_emits_client_updated_with_the_new_terms(client: httpx.AsyncClient, nats_url: str) -> None:
    c = await create_client(client)
    r = await client.patch(
        f"/v1/clients/{c['id']}", json={"tax_rate": "7.00", "payment_terms_days": 45}, headers=auth()
    )
    assert r.status_code == 200
    assert (r.json()["tax_rate"], r.json()["payment_terms_days"]) == ("7.00", 45)
    events = await await_published(nats_url, "vcio.proposals.client.updated", 1)
    assert len(events) == 1
    assert (events[0]["data"]["tax_rate"], events[0]["data"]["payment_terms_days"]) == ("7.00", 45)


async def test_update_client_refuses_null_name(client: httpx.AsyncClient) -> None:
    c = await create_client(client)
    r = await client.patch(f"/v1/clients/{c['id']}", json={"name": None}, headers=auth())
    assert r.status_code == 422


async def test_update_client_is_audited(client: httpx.AsyncClient) -> None:
    c = await create_client(client)
    await client.patch(f"/v1/clients/{c['id']}", json={"name": "Acme Dental Group"}, headers=auth())
    audit = (await client.get(f"/v1/audit?entity_id={c['id']}", headers=auth())).json()["items"]
    assert [a["action"] for a in audit] == ["client.created", "client.updated"]
    assert audit[1]["changes"] == {"name": {"from": "Acme Dental", "to": "Acme Dental Group"}}


async def test_another_tenants_client_is_not_found(client: httpx.AsyncClient) -> None:
    c = await create_client(client, "tenant-b")
    assert (await client.get(f"/v1/clients/{c['id']}", headers=auth("tenant-a"))).status_code == 404
    r = await client.patch(f"/v1/clients/{c['id']}", json={"name": "x"}, headers=auth("tenant-a"))
    assert r.status_code == 404
    listed = (await client.get("/v1/clients", headers=auth("tenant-a"))).json()
    assert listed == {"items": [], "next_cursor": None}


async def test_list_clients_pages_with_a_cursor(client: httpx.AsyncClient) -> None:
    ids = [(await create_client(client, name=f"Client {i}"))["id"] for i in range(3)]
    first = (await client.get("/v1/clients?limit=2", headers=auth())).json()
    assert [c["id"] for c in first["items"]] == ids[:2]
    second = (await client.get(f"/v1/clients?limit=2&cursor={first['next_cursor']}", headers=auth())).json()
    assert [c["id"] for c in second["items"]] == ids[2:]
    assert second["next_cursor"] is None


async def test_list_clients_filters_by_email(client: httpx.AsyncClient) -> None:
    await create_client(client)
    other = await create_client(client, email="it@beta.example")
    r = await client.get("/v1/clients?email=it@beta.example", headers=auth())
    assert [c["id"] for c in r.json()["items"]] == [other["id"]]


async def test_same_idempotency_key_returns_the_first_client_once(client: httpx.AsyncClient) -> None:
    headers = {**auth(), "Idempotency-Key": "create-acme"}
    first = await client.post("/v1/clients", json=BODY, headers=headers)
    again = await client.post("/v1/clients", json=BODY, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert len((await client.get("/v1/clients", headers=auth())).json()["items"]) == 1
    other = await client.post("/v1/clients", json={**BODY, "name": "Other"}, headers=headers)
    assert other.status_code == 422


async def test_clients_need_the_proposals_scopes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/clients")).status_code == 401
    assert (await client.get("/v1/clients", headers=auth(scopes="proposals:write"))).status_code == 403
    r = await client.post("/v1/clients", json=BODY, headers=auth(scopes="proposals:read"))
    assert r.status_code == 403


async def test_bad_client_id_in_path_is_422(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/clients/not-a-uuid", headers=auth())).status_code == 422


async def test_list_clients_searches_name_and_email_in_any_case(client: httpx.AsyncClient) -> None:
    acme = await create_client(client, name="Acme Dental", email="office@acme-dental.example")
    beta = await create_client(client, name="Beta Logistics", email="it@beta.example")
    gamma = await create_client(client, name="Gamma 100% Care_Co", email="desk@gamma.example")
    await create_client(client, "tenant-b", name="Acme Other Tenant", email="acme@b.example")

    async def found(q: str, **params: str) -> list[str]:
        r = await client.get("/v1/clients", params={"q": q, **params}, headers=auth())
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert await found("ACME") == [acme["id"]]  # name, any case; tenant-b's Acme is not listed
    assert await found("beta.EXAMPLE") == [beta["id"]]  # a piece of the e-mail
    assert await found("e") == [acme["id"], beta["id"], gamma["id"]]
    assert await found("100%") == [gamma["id"]] and await found("0%C") == []  # % and _ are literal
    assert await found("e_c") == [gamma["id"]] and await found("e_d") == []
    assert await found("  ") == [acme["id"], beta["id"], gamma["id"]]  # blank is no filter
    assert await found("a", email="it@beta.example") == [beta["id"]]  # filters combine
    first = (await client.get("/v1/clients", params={"q": "E", "limit": 2}, headers=auth())).json()
    assert [c["id"] for c in first["items"]] == [acme["id"], beta["id"]]
    assert await found("E", cursor=first["next_cursor"], limit="2") == [gamma["id"]]


async def test_list_clients_search_refuses_nul_and_long_text(client: httpx.AsyncClient) -> None:
    # NUL anywhere in a query is refused before routing (proposals.validation), a long q by the route
    for q, loc in (("ac\x00me", ["query"]), ("x" * 201, ["query", "q"])):
        r = await client.get("/v1/clients", params={"q": q}, headers=auth())
        assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json"), q
        assert r.json()["errors"][0]["loc"] == loc
    assert (await client.get("/v1/clients", params={"q": "x" * 200}, headers=auth())).status_code == 200


async def test_list_clients_reads_a_batch_by_id(client: httpx.AsyncClient) -> None:
    made = [(await create_client(client, name=f"Client {i}", email=f"c{i}@x.example"))["id"] for i in range(4)]
    theirs = (await create_client(client, "tenant-b"))["id"]
    wanted = ",".join([made[3], made[0], theirs, "0190a0a0-0000-7000-8000-000000000000"])
    r = await client.get("/v1/clients", params={"ids": wanted, "limit": 200}, headers=auth())
    assert r.status_code == 200
    # the tenant's own, in id order; another tenant's id and an unknown one are simply absent
    assert [(c["id"], c["name"]) for c in r.json()["items"]] == [(made[0], "Client 0"), (made[3], "Client 3")]
    assert r.json()["next_cursor"] is None
    most = ",".join(str(uuid.UUID(int=i)) for i in range(200))
    assert (await client.get("/v1/clients", params={"ids": most}, headers=auth())).json()["items"] == []
    for bad in (most + "," + made[0], "not-a-uuid", f"{made[0]},x", ",", "a\x00b"):
        r = await client.get("/v1/clients", params={"ids": bad}, headers=auth())
        assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json"), bad
        assert r.json()["errors"][0]["loc"] == (["query"] if "\x00" in bad else ["query", "ids"]), bad
