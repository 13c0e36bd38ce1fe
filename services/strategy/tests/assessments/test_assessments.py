import json
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext

from strategy.standards.starter import STARTER_ID
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth, eventually

CLIENT = "0195b2d0-0000-7000-8000-000000000001"
# The worked example's answers, question by question of the conftest's standard (weights high 5, medium 3, low 1):
#   Strategy: Q1 high   yes                  -> aligned      5 x 1   = 5
#             Q2 medium no  rated marginal                   3 x 0.5 = 1.5
#             Q3 low    na                   -> neither sum
#   Security: Q4 high   yes rated vulnerable (the vCIO wins)  5 x 0   = 0
#             Q5 high   no  unrated          -> earns nothing 5 x 0   = 0
#             Q6 medium yes rated marginal                    3 x 0.5 = 1.5
# Strategy 6.5 / 8 = 81.25 -> "81.3" (half-up); Security 1.5 / 13 = 11.538 -> "11.5"; overall 8 / 21 = 38.095 -> "38.1"
ANSWERS = [
    {"answer": "yes"},
    {"answer": "no", "rating": "marginal", "notes": "budget kept in a spreadsheet"},
    {"answer": "na"},
    {"answer": "yes", "rating": "vulnerable", "notes": "MFA off for two admins"},
    {"answer": "no"},
    {"answer": "yes", "rating": "marginal"},
]


def question_ids(standard: dict[str, Any]) -> list[str]:
    return [q["id"] for s in standard["sections"] for q in s["questions"]]


async def new_assessment(
    client: httpx.AsyncClient, standard: dict[str, Any], tenant: str = "tenant-a"
) -> dict[str, Any]:
    body = {"client_id": CLIENT, "standard_id": standard["id"], "due_date": "2026-12-15"}
    r = await client.post("/v1/assessments", json=body, headers=auth(tenant))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def answer_all(client: httpx.AsyncClient, assessment: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    r = None
    for qid, body in zip(ids, ANSWERS, strict=True):
        r = await client.put(f"/v1/assessments/{assessment['id']}/responses/{qid}", json=body, headers=auth())
        assert r.status_code == 200, r.text
    assert r is not None
    return r.json()  # type: ignore[no-any-return]


async def test_the_worked_example_scores_exactly(client: httpx.AsyncClient, create_standard: Any) -> None:
    standard = await create_standard()
    ids = question_ids(standard)
    a = await new_assessment(client, standard)
    assert (a["status"], a["score"], a["answered"], a["question_count"]) == ("open", None, 0, 6)
    a = await answer_all(client, a, ids)
    assert a["score"] == "38.1"
    assert [(s["name"], s["score"], s["answered"]) for s in a["sections"]] == [
        ("Strategy", "81.3", 3),
        ("Security", "11.5", 3),
    ]
    assert [(f["question_id"], f["answer"], f["rating"], f["weight"]) for f in a["findings"]] == [
        (ids[1], "no", "marginal", 3),
        (ids[3], "yes", "vulnerable", 5),
        (ids[4], "no", None, 5),
        (ids[5], "yes", "marginal", 3),
    ]
    assert a["findings"][1]["notes"] == "MFA off for two admins"
    assert a["findings"][0]["id"] == a["responses"][1]["id"]  # a finding is named by its answer's id
    assert a == (await client.get(f"/v1/assessments/{a['id']}", headers=auth())).json()


async def test_a_second_answer_replaces_the_first(client: httpx.AsyncClient, create_standard: Any) -> None:
    standard = await create_standard()
    ids = question_ids(standard)
    a = await new_assessment(client, standard)
    url = f"/v1/assessments/{a['id']}/responses/{ids[0]}"
    first = (await client.put(url, json={"answer": "no"}, headers=auth())).json()
    again = (await client.put(url, json={"answer": "no", "rating": "aligned"}, headers=auth())).json()
    assert (first["score"], again["score"], again["answered"]) == ("0.0", "100.0", 1)
    assert first["responses"][0]["id"] == again["responses"][0]["id"]


async def test_completing_freezes_the_assessment_and_announces_it(
    client: httpx.AsyncClient, create_standard: Any, js: JetStreamContext
) -> None:
    standard = await create_standard()
    ids = question_ids(standard)
    a = await new_assessment(client, standard)
    await client.put(f"/v1/assessments/{a['id']}/responses/{ids[0]}", json={"answer": "yes"}, headers=auth())
    r = await client.post(f"/v1/assessments/{a['id']}/complete", headers=auth())
    assert (r.status_code, r.json()["detail"]) == (409, "5 of 6 questions have no answer yet")
    await answer_all(client, a, ids)
    done = await client.post(f"/v1/assessments/{a['id']}/complete", headers=auth())
    assert (done.status_code, done.json()["status"], done.json()["score"]) == (200, "completed", "38.1")
    assert done.json()["completed_at"] == "2026-11-29T10:00:00Z"
    r = await client.put(f"/v1/assessments/{a['id']}/responses/{ids[4]}", json={"answer": "yes"}, headers=auth())
    assert r.status_code == 409
    assert (await client.post(f"/v1/assessments/{a['id']}/complete", headers=auth())).status_code == 409
    assert (await client.get(f"/v1/assessments/{a['id']}", headers=auth())).json() == done.json()

    sub = await js.pull_subscribe("vcio.strategy.assessment.completed", durable="t-assess", stream="STRATEGY")

    async def fetched() -> Any:
        try:
            return await sub.fetch(1, timeout=0.5)
        except TimeoutError:
            return None

    [msg] = await eventually(fetched)
    event = json.loads(msg.data)
    assert (event["tenantid"], event["subject"]) == ("tenant-a", CLIENT)
    assert event["data"]["score"] == "38.1"
    assert event["data"]["findings"] == 4
    assert [s["score"] for s in event["data"]["sections"]] == ["81.3", "11.5"]


async def test_the_trend_shows_scores_over_time(
    client: httpx.AsyncClient, create_standard: Any, clock: FixedClock
) -> None:
    standard = await create_standard()
    ids = question_ids(standard)
    first = await new_assessment(client, standard)
    await answer_all(client, first, ids)
    await client.post(f"/v1/assessments/{first['id']}/complete", headers=auth())
    clock.advance(days=90)
    second = await new_assessment(client, standard)
    await answer_all(client, second, ids)
    # Q5 fixed: now "yes", aligned -> Security 6.5 / 13 = 50.0; overall 13 / 21 = 61.904 -> 61.9 (+23.8)
    url = f"/v1/assessments/{second['id']}/responses/{ids[4]}"
    assert (await client.put(url, json={"answer": "yes"}, headers=auth())).json()["score"] == "61.9"
    await client.post(f"/v1/assessments/{second['id']}/complete", headers=auth())
    trend = (await client.get(f"/v1/clients/{CLIENT}/trend", headers=auth())).json()
    assert [(p["assessment_id"], p["score"], p["change"]) for p in trend["items"]] == [
        (first["id"], "38.1", None),
        (second["id"], "61.9", "+23.8"),
    ]
    assert [s["score"] for s in trend["items"][1]["sections"]] == ["81.3", "50.0"]
    assert trend["items"][1]["completed_at"] == "2027-02-27T10:00:00Z"


async def test_another_tenant_sees_none_of_it(client: httpx.AsyncClient, create_standard: Any) -> None:
    standard = await create_standard()
    ids = question_ids(standard)
    a = await new_assessment(client, standard)
    b = auth("tenant-b")
    assert (await client.get(f"/v1/assessments/{a['id']}", headers=b)).status_code == 404
    url = f"/v1/assessments/{a['id']}/responses/{ids[0]}"
    assert (await client.put(url, json={"answer": "yes"}, headers=b)).status_code == 404
    assert (await client.post(f"/v1/assessments/{a['id']}/complete", headers=b)).status_code == 404
    assert (await client.get(f"/v1/clients/{CLIENT}/trend", headers=b)).status_code == 404
    assert (await client.get("/v1/assessments", headers=b)).json()["items"] == []
    body = {"client_id": CLIENT, "standard_id": standard["id"]}
    r = await client.post("/v1/assessments", json=body, headers=b)  # A's standard is not B's to use
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "standard_id"])


async def test_any_tenant_assesses_against_the_starter(client: httpx.AsyncClient) -> None:
    body = {"client_id": CLIENT, "standard_id": str(STARTER_ID), "standard_version": 1}
    r = await client.post("/v1/assessments", json=body, headers=auth("tenant-b"))
    assert r.status_code == 201
    assert (r.json()["standard_name"], r.json()["question_count"], len(r.json()["sections"])) == (
        "vCIO alignment review (starter)",
        45,
        12,
    )


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"answer": "maybe"}, ["body", "answer"]),
        ({"answer": "yes", "rating": "great"}, ["body", "rating"]),
        ({"answer": "yes", "extra": 1}, ["body", "extra"]),
        ({}, ["body", "answer"]),
    ],
)
async def test_a_bad_answer_is_a_422(
    client: httpx.AsyncClient, create_standard: Any, body: dict[str, Any], loc: list[str]
) -> None:
    standard = await create_standard()
    a = await new_assessment(client, standard)
    r = await client.put(f"/v1/assessments/{a['id']}/responses/{question_ids(standard)[0]}", json=body, headers=auth())
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, loc)


async def test_a_question_of_another_standard_is_not_found(client: httpx.AsyncClient, create_standard: Any) -> None:
    standard = await create_standard()
    a = await new_assessment(client, standard)
    other = question_ids(await create_standard())[0]
    r = await client.put(f"/v1/assessments/{a['id']}/responses/{other}", json={"answer": "yes"}, headers=auth())
    assert r.status_code == 404


async def test_only_a_published_standard_is_assessed(client: httpx.AsyncClient, create_standard: Any) -> None:
    draft = await create_standard(publish=False)
    r = await client.post("/v1/assessments", json={"client_id": CLIENT, "standard_id": draft["id"]}, headers=auth())
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "standard_id"])
    r = await client.post("/v1/assessments", json={"client_id": "nope", "standard_id": draft["id"]}, headers=auth())
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "client_id"])


async def test_the_list_filters_by_client_and_status(client: httpx.AsyncClient, create_standard: Any) -> None:
    standard = await create_standard()
    a = await new_assessment(client, standard)
    items = (await client.get("/v1/assessments", params={"client_id": CLIENT}, headers=auth())).json()["items"]
    assert [(x["id"], x["status"], x["score"]) for x in items] == [(a["id"], "open", None)]
    done = (await client.get("/v1/assessments", params={"status": "completed"}, headers=auth())).json()["items"]
    assert done == []


async def test_a_retired_standard_takes_no_new_assessment(client: httpx.AsyncClient, create_standard: Any) -> None:
    standard = await create_standard()
    await new_assessment(client, standard)
    r = await client.post(f"/v1/standards/{standard['id']}/retire", headers=auth())
    assert (r.status_code, r.json()["status"]) == (200, "retired")
    for version in (None, 1):
        body = {"client_id": CLIENT, "standard_id": standard["id"], "standard_version": version}
        r = await client.post("/v1/assessments", json=body, headers=auth())
        assert (r.status_code, r.json()["errors"][0]["msg"]) == (422, "this standard is retired")
    assert (await client.post(f"/v1/standards/{standard['id']}/retire", headers=auth())).status_code == 409
    r = await client.put(f"/v1/standards/{standard['id']}", json={"name": "x", "sections": []}, headers=auth())
    assert r.status_code == 422
