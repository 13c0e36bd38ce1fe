"""CONTRACT.md section 3: problem details, unknown fields, body limit, Idempotency-Key, cursors, platform routes."""

import asyncio
import hashlib
from collections.abc import Callable

import httpx

from shared.tests.conftest import sql
from shared.tests.test_outbox_inbox import stream_messages
from vcio_shared.idempotency import canonical_body
from vcio_shared.testing import auth, eventually, running


async def test_unknown_field_is_422_naming_it(notes: httpx.AsyncClient) -> None:
    r = await notes.post("/v1/notes", json={"text": "x", "colour": "red"}, headers=auth())
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert body["status"] == 422 and body["title"] == "Unprocessable Content"
    assert body["errors"] == [{"loc": ["body", "colour"], "msg": "Extra inputs are not permitted"}]


async def test_malformed_json_is_422_not_500(notes: httpx.AsyncClient) -> None:
    r = await notes.post("/v1/notes", content=b"{oops", headers={**auth(), "content-type": "application/json"})
    assert r.status_code == 422


async def test_oversized_body_is_413(make_notes_app: Callable[..., object]) -> None:
    async with running(make_notes_app(max_body_bytes=1000)) as client:  # type: ignore[arg-type]
        r = await client.post("/v1/notes", json={"text": "x" * 2000}, headers=auth())
        assert r.status_code == 413
        assert r.json()["title"] == "Content Too Large"


async def test_same_idempotency_key_and_body_replays_the_first_answer(
    notes: httpx.AsyncClient, notes_db: str, nats_url: str
) -> None:
    headers = {**auth(), "Idempotency-Key": "k-1"}
    first = await notes.post("/v1/notes", json={"text": "once"}, headers=headers)
    second = await notes.post("/v1/notes", json={"text": "once"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotency-replayed"] == "true"
    assert sql(notes_db, "SELECT count(*) FROM notes") == [(1,)]
    # One event: the relay deletes what it has published, so count the stream once the outbox is empty.
    await eventually(lambda: sql(notes_db, "SELECT count(*) FROM outbox") == [(0,)])
    assert len(await stream_messages(nats_url)) == 1


async def test_same_idempotency_key_with_another_body_is_422(notes: httpx.AsyncClient, notes_db: str) -> None:
    headers = {**auth(), "Idempotency-Key": "k-2"}
    assert (await notes.post("/v1/notes", json={"text": "a"}, headers=headers)).status_code == 201
    r = await notes.post("/v1/notes", json={"text": "b"}, headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert sql(notes_db, "SELECT count(*) FROM notes") == [(1,)]


async def test_same_idempotency_key_with_reordered_keys_and_spacing_replays(
    notes: httpx.AsyncClient, notes_db: str
) -> None:
    headers = {**auth(), "Idempotency-Key": "k-order", "content-type": "application/json"}
    first = await notes.post("/v1/notes", content=b'{"text": "once", "tag": "t"}', headers=headers)
    again = await notes.post("/v1/notes", content=b'{ "tag":"t",\n  "text":"once" }', headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    other = await notes.post("/v1/notes", content=b'{"tag": "t", "text": "twice"}', headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"] == [
        {"loc": ["header", "Idempotency-Key"], "msg": "this key was used with another request body"}
    ]
    assert sql(notes_db, "SELECT count(*) FROM notes") == [(1,)]


async def test_a_key_stored_with_a_raw_body_hash_still_replays_those_bytes(
    notes: httpx.AsyncClient, notes_db: str
) -> None:
    headers = {**auth(), "Idempotency-Key": "k-old", "content-type": "application/json"}
    raw = b'{"tag": "t", "text": "old"}'
    first = await notes.post("/v1/notes", content=raw, headers=headers)
    # As rows written before canonical bodies were: the hash of the raw bytes.
    legacy = hashlib.sha256(b"POST /v1/notes\n" + raw).hexdigest()
    sql(notes_db, f"UPDATE idempotency_keys SET request_hash = '{legacy}' WHERE key = 'k-old' RETURNING key")
    again = await notes.post("/v1/notes", content=raw, headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotency-replayed"] == "true"
    assert sql(notes_db, "SELECT count(*) FROM notes") == [(1,)]


def test_canonical_body_sorts_keys_drops_spacing_and_keeps_big_integers_exact() -> None:
    assert canonical_body(b'{"b": [1, {"d": 2, "c": 3}], "a": "\xc3\xa9"}') == b'{"a":"\\u00e9","b":[1,{"c":3,"d":2}]}'
    assert canonical_body(b'{"n": 123456789012345678901}') != canonical_body(b'{"n": 123456789012345678902}')
    assert canonical_body(b"not json") == b"not json"
    assert canonical_body(b"") == b""


async def test_concurrent_twins_with_one_key_create_once(notes: httpx.AsyncClient, notes_db: str) -> None:
    headers = {**auth(), "Idempotency-Key": "k-3"}
    answers = await asyncio.gather(*[notes.post("/v1/notes", json={"text": "t"}, headers=headers) for _ in range(5)])
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sql(notes_db, "SELECT count(*) FROM notes") == [(1,)]


async def test_keys_are_per_tenant(notes: httpx.AsyncClient, notes_db: str) -> None:
    for tenant in ("tenant-a", "tenant-b"):
        r = await notes.post("/v1/notes", json={"text": "same"}, headers={**auth(tenant), "Idempotency-Key": "k"})
        assert r.status_code == 201
    assert sql(notes_db, "SELECT count(*) FROM notes") == [(2,)]


async def test_lists_page_with_cursors(notes: httpx.AsyncClient) -> None:
    for i in range(5):
        await notes.post("/v1/notes", json={"text": f"n{i}"}, headers=auth())
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await notes.get("/v1/notes", params=params, headers=auth())).json()
        seen += [n["text"] for n in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["n0", "n1", "n2", "n3", "n4"]
    assert pages == 3


async def test_limit_out_of_range_and_bad_cursor_are_422(notes: httpx.AsyncClient) -> None:
    for params in ({"limit": 0}, {"limit": 201}, {"cursor": "!!!"}):
        assert (await notes.get("/v1/notes", params=params, headers=auth())).status_code == 422


async def test_every_write_is_audited_with_actor_and_fields(notes: httpx.AsyncClient) -> None:
    created = (await notes.post("/v1/notes", json={"text": "audited"}, headers=auth(sub="alice"))).json()
    entries = (await notes.get("/v1/audit", headers=auth())).json()["items"]
    assert [(e["actor"], e["action"], e["entity_id"], e["changes"]) for e in entries] == [
        ("alice", "note.created", created["id"], {"text": "audited"})
    ]
    assert (await notes.get("/v1/audit", headers=auth("tenant-b"))).json()["items"] == []


async def test_platform_routes(notes: httpx.AsyncClient) -> None:
    assert (await notes.get("/healthz")).json() == {"status": "ok"}
    ready = await notes.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "nats": "ok"}}
    metrics = await notes.get("/metrics")
    assert "vcio_http_requests_total" in metrics.text
    assert (await notes.get("/openapi.json")).json()["info"]["title"] == "notes (test service)"


async def test_readyz_is_503_when_nats_is_unreachable(make_notes_app: Callable[..., object]) -> None:
    async with running(make_notes_app(nats="nats://127.0.0.1:1")) as client:  # type: ignore[arg-type]
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"] == {"database": "ok", "nats": "down"}


async def test_readyz_is_503_and_v1_is_503_when_the_database_is_unreachable(
    make_notes_app: Callable[..., object],
) -> None:
    app = make_notes_app(database_url="postgresql://postgres@127.0.0.1:1/nowhere")
    async with running(app) as client:  # type: ignore[arg-type]
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["database"] == "down"
        w = await client.post("/v1/notes", json={"text": "x"}, headers=auth())
        assert w.status_code == 503
        assert w.headers["content-type"] == "application/problem+json"


async def test_nul_in_a_body_is_422_not_500(notes: httpx.AsyncClient, notes_db: str) -> None:
    r = await notes.post("/v1/notes", json={"text": "a\u0000b"}, headers=auth())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "text"]
    assert sql(notes_db, "SELECT count(*) FROM notes") == [(0,)]


async def test_nul_in_the_audit_filter_is_422_not_500(notes: httpx.AsyncClient) -> None:
    assert (await notes.get("/v1/audit", params={"entity_id": "\u0000"}, headers=auth())).status_code == 422
