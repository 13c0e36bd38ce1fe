import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext

from strategy.standards.starter import STARTER_ID
from vcio_shared.testing import auth, eventually

Post = Any  # the conftest fixtures: async (tenant=..., publish=..., **changes) -> JSON


async def test_a_created_standard_is_a_draft_with_weights_by_priority(create_standard: Post) -> None:
    s = await create_standard(publish=False)
    assert (s["version"], s["status"], s["starter"], s["question_count"]) == (1, "draft", False, 6)
    assert [x["name"] for x in s["sections"]] == ["Strategy", "Security"]
    first = s["sections"][0]["questions"]
    assert [(q["text"], q["priority"], q["weight"], q["internal_only"]) for q in first] == [
        ("Is there a roadmap?", "high", 5, False),
        ("Is there a budget?", "medium", 3, False),
        ("Are assets tracked?", "low", 1, True),
    ]
    assert first[0]["why"] == "Plans beat emergencies"
    assert s["sections"][1]["questions"][0]["how_to"] == "Check the MFA report"


async def test_publishing_freezes_a_version_and_editing_it_opens_the_next(
    client: httpx.AsyncClient, create_standard: Post, standard_body: Callable[..., dict[str, Any]]
) -> None:
    s = await create_standard()
    assert (s["status"], s["published_at"] is not None) == ("published", True)
    r = await client.post(f"/v1/standards/{s['id']}/publish", headers=auth())
    assert r.status_code == 409
    r = await client.put(f"/v1/standards/{s['id']}", json=standard_body(name="Renamed"), headers=auth())
    assert (r.status_code, r.json()["version"], r.json()["status"], r.json()["name"]) == (200, 2, "draft", "Renamed")
    old = (await client.get(f"/v1/standards/{s['id']}", params={"version": 1}, headers=auth())).json()
    assert (old["name"], old["status"]) == ("Small office review", "published")
    assert old["sections"] == s["sections"]  # version 1's questions and their ids did not change
    r = await client.put(f"/v1/standards/{s['id']}", json=standard_body(name="Again"), headers=auth())
    assert (r.json()["version"], r.json()["name"]) == (2, "Again")  # a draft is edited in place
    r = await client.post(f"/v1/standards/{s['id']}/publish", headers=auth())
    assert (r.json()["version"], r.json()["status"]) == (2, "published")


async def test_every_tenant_lists_the_starter_beside_its_own(client: httpx.AsyncClient, create_standard: Post) -> None:
    mine = await create_standard()
    a = (await client.get("/v1/standards", headers=auth())).json()
    assert {x["id"] for x in a["items"]} == {str(STARTER_ID), mine["id"]}
    b = (await client.get("/v1/standards", headers=auth("tenant-b"))).json()
    assert [x["id"] for x in b["items"]] == [str(STARTER_ID)]
    assert (await client.get(f"/v1/standards/{mine['id']}", headers=auth("tenant-b"))).status_code == 404
    assert (await client.post(f"/v1/standards/{mine['id']}/publish", headers=auth("tenant-b"))).status_code == 404


async def test_the_list_pages(client: httpx.AsyncClient, create_standard: Post) -> None:
    made = [(await create_standard(publish=False))["id"] for _ in range(3)]
    first = (await client.get("/v1/standards", params={"limit": 2}, headers=auth())).json()
    second = await client.get("/v1/standards", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth())
    ids = [x["id"] for x in first["items"]] + [x["id"] for x in second.json()["items"]]
    assert sorted(ids) == sorted([*made, str(STARTER_ID)])
    assert second.json()["next_cursor"] is None


async def test_the_starter_covers_the_seed_areas_and_the_nist_csf_functions(client: httpx.AsyncClient) -> None:
    s = (await client.get(f"/v1/standards/{STARTER_ID}", headers=auth())).json()
    assert (s["status"], s["starter"], s["version"], s["question_count"]) == ("published", True, 1, 45)
    names = [x["name"] for x in s["sections"]]
    assert names[:5] == [
        "IT strategy",
        "Business applications",
        "Data and BI",
        "Office productivity",
        "System integrations",
    ]
    functions = ["Govern", "Identify", "Protect", "Detect", "Respond", "Recover"]
    assert [n.split(": ")[1].split(" (")[0] for n in names[5:11]] == functions
    assert all("NIST CSF 2.0" in n for n in names[5:11])
    assert names[11] == "Infrastructure"
    for section in s["sections"]:
        assert len(section["questions"]) >= 2
        assert all(q["why"] and q["how_to"] and q["text"].endswith("?") for q in section["questions"])


async def test_the_starter_cannot_be_changed(client: httpx.AsyncClient, standard_body: Callable[..., Any]) -> None:
    r = await client.put(f"/v1/standards/{STARTER_ID}", json=standard_body(), headers=auth())
    assert r.status_code == 409
    assert (await client.post(f"/v1/standards/{STARTER_ID}/retire", headers=auth())).status_code == 409


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"name": ""}, ["body", "name"]),
        ({"sections": []}, ["body", "sections"]),
        ({"sections": [{"name": "x", "questions": []}]}, ["body", "sections", 0, "questions"]),
        (
            {"sections": [{"name": "x", "questions": [{"text": "q", "priority": "urgent"}]}]},
            ["body", "sections", 0, "questions", 0, "priority"],
        ),
        (
            {"sections": [{"name": "x", "questions": [{"text": "q", "priority": "low", "internal_only": "yes"}]}]},
            ["body", "sections", 0, "questions", 0, "internal_only"],
        ),
        ({"surprise": 1}, ["body", "surprise"]),
    ],
)
async def test_a_bad_standard_is_a_422_naming_the_field(
    client: httpx.AsyncClient, standard_body: Callable[..., Any], change: dict[str, Any], loc: list[Any]
) -> None:
    r = await client.post("/v1/standards", json=standard_body(**change), headers=auth())
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["loc"] == loc


async def test_the_same_idempotency_key_creates_one_standard(
    client: httpx.AsyncClient, standard_body: Callable[..., Any]
) -> None:
    h = {**auth(), "Idempotency-Key": "std-1"}
    first = await client.post("/v1/standards", json=standard_body(), headers=h)
    again = await client.post("/v1/standards", json=standard_body(), headers=h)
    assert (first.status_code, again.status_code, again.json()["id"]) == (201, 201, first.json()["id"])
    other = await client.post("/v1/standards", json=standard_body(name="Other"), headers=h)
    assert other.status_code == 422
    items = (await client.get("/v1/standards", headers=auth())).json()["items"]
    assert len(items) == 2  # the starter and one


async def test_publishing_emits_standard_published(create_standard: Post, js: JetStreamContext) -> None:
    s = await create_standard()
    sub = await js.pull_subscribe("vcio.strategy.standard.published", durable="t-standards", stream="STRATEGY")

    async def fetched() -> Any:
        try:
            return await sub.fetch(1, timeout=0.5)
        except TimeoutError:
            return None

    [msg] = await eventually(fetched)
    event = json.loads(msg.data)
    assert (event["type"], event["tenantid"], event["subject"]) == (
        "vcio.strategy.standard.published",
        "tenant-a",
        s["id"],
    )
    assert event["data"] == {"standard_id": s["id"], "version": 1, "name": "Small office review", "question_count": 6}
