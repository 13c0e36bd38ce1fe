import contextlib
import json
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext

from vcio_shared.testing import auth, eventually

CLIENT = "0195b2d0-0000-7000-8000-0000000000c2"
OTHER_CLIENT = "0195b2d0-0000-7000-8000-0000000000c3"


def body(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "client_id": CLIENT,
        "title": "Replace the firewall",
        "summary": "The firewall is out of support in March",
        "category": "cybersecurity",
        "priority": "high",
        "fiscal_year": 2027,
        "quarter": 2,
        "budget": {
            "currency": "USD",
            "one_time": [
                {"label": "Appliance", "amount": "3200.00"},
                {"label": "Setup", "amount": "150.00", "quantity": 8},
            ],
            "recurring": [{"label": "Licence", "amount": "480.00", "frequency": "yearly"}],
        },
    }
    out.update(changes)
    return out


async def post(client: httpx.AsyncClient, data: dict[str, Any], tenant: str = "tenant-a") -> dict[str, Any]:
    r = await client.post("/v1/initiatives", json=data, headers=auth(tenant))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_an_initiative_carries_its_budget_with_line_and_total_sums(client: httpx.AsyncClient) -> None:
    i = await post(client, body())
    assert (i["status"], i["fiscal_year"], i["quarter"], i["approved_at"]) == ("proposed", 2027, 2, None)
    b = i["budget"]
    # one-time 3200.00 + 8 x 150.00 = 4400.00; recurring 480.00 a year; first year 4880.00
    assert [(x["label"], x["amount"], x["quantity"], x["total"]) for x in b["one_time"]] == [
        ("Appliance", "3200.00", 1, "3200.00"),
        ("Setup", "150.00", 8, "1200.00"),
    ]
    assert [(x["frequency"], x["total"], x["annual"]) for x in b["recurring"]] == [("yearly", "480.00", "480.00")]
    assert (b["currency"], b["one_time_total"], b["recurring_annual"], b["total"]) == (
        "USD",
        "4400.00",
        "480.00",
        "4880.00",
    )
    assert (await client.get(f"/v1/initiatives/{i['id']}", headers=auth())).json() == i


async def test_money_keeps_the_currencys_digits(client: httpx.AsyncClient) -> None:
    yen = {
        "currency": "JPY",
        "one_time": [{"label": "Kit", "amount": "150000", "quantity": 3}],
        "recurring": [{"label": "Care", "amount": "9800", "frequency": "monthly"}],
    }
    b = (await post(client, body(budget=yen)))["budget"]
    assert (b["one_time_total"], b["recurring_annual"], b["total"]) == ("450000", "117600", "567600")
    dinar = {"currency": "KWD", "recurring": [{"label": "Care", "amount": "12.345", "frequency": "monthly"}]}
    assert (await post(client, body(budget=dinar)))["budget"]["recurring_annual"] == "148.140"


async def test_status_follows_its_path_and_approval_is_announced(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    i = await post(client, body())
    url = f"/v1/initiatives/{i['id']}"
    r = await client.patch(url, json={"status": "done"}, headers=auth())
    assert (r.status_code, r.json()["detail"]) == (409, "an initiative cannot go from proposed to done")
    r = await client.patch(url, json={"status": "approved"}, headers=auth())
    assert (r.status_code, r.json()["status"], r.json()["approved_at"]) == (200, "approved", "2026-11-29T10:00:00Z")
    for status in ("in_progress", "done"):
        assert (await client.patch(url, json={"status": status}, headers=auth())).json()["status"] == status
    assert (await client.patch(url, json={"status": "proposed"}, headers=auth())).status_code == 409

    sub = await js.pull_subscribe("vcio.strategy.initiative.>", durable="t-initiatives", stream="STRATEGY")
    seen: list[Any] = []

    async def all_five() -> bool:
        with contextlib.suppress(TimeoutError):
            seen.extend(await sub.fetch(10, timeout=0.5))
        return len(seen) >= 5

    await eventually(all_five)
    events = [json.loads(m.data) for m in seen]
    assert [e["type"].rsplit(".", 1)[1] for e in events] == ["created", "updated", "approved", "updated", "updated"]
    assert {e["subject"] for e in events} == {CLIENT}
    assert events[2]["data"]["status"] == "approved"
    assert events[2]["data"]["budget"]["total"] == "4880.00"


async def test_a_patch_replaces_the_budget_whole(client: httpx.AsyncClient) -> None:
    i = await post(client, body())
    new = {"currency": "EUR", "one_time": [{"label": "Audit", "amount": "999.99"}]}
    r = await client.patch(f"/v1/initiatives/{i['id']}", json={"budget": new, "title": "Audit first"}, headers=auth())
    b = r.json()["budget"]
    assert (r.json()["title"], b["currency"], b["one_time_total"], b["recurring"], b["total"]) == (
        "Audit first",
        "EUR",
        "999.99",
        [],
        "999.99",
    )


async def test_an_initiative_answers_findings_of_its_client_only(
    client: httpx.AsyncClient, create_standard: Any
) -> None:
    standard = await create_standard()
    qid = standard["sections"][0]["questions"][0]["id"]
    a = (
        await client.post("/v1/assessments", json={"client_id": CLIENT, "standard_id": standard["id"]}, headers=auth())
    ).json()
    a = (await client.put(f"/v1/assessments/{a['id']}/responses/{qid}", json={"answer": "no"}, headers=auth())).json()
    [finding] = a["findings"]
    i = await post(client, body(finding_ids=[finding["id"], finding["id"]]))
    assert i["finding_ids"] == [finding["id"]]
    r = await client.post(
        "/v1/initiatives", json=body(client_id=OTHER_CLIENT, finding_ids=[finding["id"]]), headers=auth()
    )
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "finding_ids"])
    r = await client.post("/v1/initiatives", json=body(finding_ids=[finding["id"]]), headers=auth("tenant-b"))
    assert r.status_code == 422  # another tenant's finding is no finding of B's
    r = await client.patch(f"/v1/initiatives/{i['id']}", json={"finding_ids": [OTHER_CLIENT]}, headers=auth())
    assert r.status_code == 422


async def test_another_tenant_sees_none_of_it(client: httpx.AsyncClient) -> None:
    i = await post(client, body())
    b = auth("tenant-b")
    assert (await client.get(f"/v1/initiatives/{i['id']}", headers=b)).status_code == 404
    assert (await client.patch(f"/v1/initiatives/{i['id']}", json={"title": "x"}, headers=b)).status_code == 404
    assert (await client.get("/v1/initiatives", params={"client_id": CLIENT}, headers=b)).json()["items"] == []
    mine = (await client.get("/v1/initiatives", params={"client_id": CLIENT}, headers=auth())).json()["items"]
    assert [x["id"] for x in mine] == [i["id"]]


async def test_the_same_idempotency_key_creates_one_initiative(client: httpx.AsyncClient) -> None:
    h = {**auth(), "Idempotency-Key": "init-1"}
    first = await client.post("/v1/initiatives", json=body(), headers=h)
    again = await client.post("/v1/initiatives", json=body(), headers=h)
    assert (first.status_code, again.status_code, again.json()["id"]) == (201, 201, first.json()["id"])
    assert len((await client.get("/v1/initiatives", headers=auth())).json()["items"]) == 1


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"quarter": 2, "fiscal_year": None}, ["body"]),
        ({"quarter": 5}, ["body", "quarter"]),
        ({"fiscal_year": 3000}, ["body", "fiscal_year"]),
        ({"category": "gardening"}, ["body", "category"]),
        ({"status": "finished"}, ["body", "status"]),
        (
            {"budget": {"currency": "USD", "one_time": [{"label": "x", "amount": "10.001"}]}},
            ["body", "budget", "one_time"],
        ),
        (
            {"budget": {"currency": "USD", "one_time": [{"label": "x", "amount": "-5.00"}]}},
            ["body", "budget", "one_time"],
        ),
        (
            {"budget": {"currency": "USD", "one_time": [{"label": "x", "amount": 5}]}},
            ["body", "budget", "one_time", 0, "amount"],
        ),
        (
            {"budget": {"currency": "USD", "one_time": [{"label": "x", "amount": "5.00", "quantity": 0}]}},
            ["body", "budget", "one_time", 0, "quantity"],
        ),
        (
            {"budget": {"currency": "USD", "recurring": [{"label": "x", "amount": "5.00", "frequency": "weekly"}]}},
            ["body", "budget", "recurring", 0, "frequency"],
        ),
        ({"budget": {"currency": "ZZZ"}}, ["body", "budget", "currency"]),
        ({"client_id": "not-a-uuid"}, ["body", "client_id"]),
    ],
)
async def test_a_bad_initiative_is_a_422_naming_the_field(
    client: httpx.AsyncClient, change: dict[str, Any], loc: list[Any]
) -> None:
    r = await client.post("/v1/initiatives", json=body(**change), headers=auth())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["loc"][: len(loc)] == loc


async def test_a_patch_refuses_null_where_a_value_is_needed(client: httpx.AsyncClient) -> None:
    i = await post(client, body())
    for name in ("title", "status", "priority"):
        r = await client.patch(f"/v1/initiatives/{i['id']}", json={name: None}, headers=auth())
        assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", name])
    r = await client.patch(f"/v1/initiatives/{i['id']}", json={"fiscal_year": None}, headers=auth())
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "quarter"])  # Q2 of no year
