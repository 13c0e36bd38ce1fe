from typing import Any

import httpx

from services.strategy.tests.support import CLIENT, name_client
from strategy.reports.template import DEFAULT_ID
from vcio_shared.testing import auth

OTHER_CLIENT = "0195b2d0-0000-7000-8000-0000000000e2"


def errors(r: httpx.Response) -> list[Any]:
    assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json"), r.text
    return [e["loc"] for e in r.json()["errors"]]


async def test_another_tenants_report_is_404_on_every_route(client: httpx.AsyncClient, nats_url: str) -> None:
    await name_client(client, nats_url)
    report = (await client.post("/v1/reports", json={"client_id": CLIENT, "quarter": "2027-Q1"}, headers=auth())).json()
    shared = await client.post(f"/v1/reports/{report['id']}/share", headers=auth())
    assert shared.status_code == 201
    b = auth("tenant-b")
    base = f"/v1/reports/{report['id']}"
    notes = report["sections"][-1]["components"][0]["id"]
    for method, url, body in [
        ("GET", base, None),
        ("GET", f"{base}/html", None),
        ("GET", f"{base}/pdf", None),
        ("POST", f"{base}/refresh", None),
        ("POST", f"{base}/share", None),
        ("DELETE", f"{base}/share", None),
        ("POST", f"{base}/template", {"name": "Mine"}),
        ("PATCH", f"{base}/components/{notes}", {"text": "hello"}),
    ]:
        r = await client.request(method, url, json=body, headers=b)
        assert r.status_code == 404, (method, url, r.text)
    assert (await client.get("/v1/reports", headers=b)).json() == {"items": [], "next_cursor": None}
    # tenant B's DELETE did not revoke tenant A's link, and B cannot report on A's client
    assert (await client.get(httpx.URL(shared.json()["url"]).path)).status_code == 200
    r = await client.post("/v1/reports", json={"client_id": CLIENT, "quarter": "2027-Q1"}, headers=b)
    assert errors(r) == [["body", "client_id"]]
    saved = await client.post(f"{base}/template", json={"name": "Acme layout"}, headers=auth())
    assert (await client.get(f"/v1/report-templates/{saved.json()['id']}", headers=b)).status_code == 404
    r = await client.post(
        "/v1/reports", json={"client_id": CLIENT, "quarter": "2027-Q1", "template_id": saved.json()["id"]}, headers=b
    )
    assert r.status_code == 422


async def test_bad_reports_are_422_naming_the_field(client: httpx.AsyncClient, nats_url: str) -> None:
    await name_client(client, nats_url)
    for quarter in ("2027-Q5", "2027-Q0", "27-Q1", "2027Q1", "2027-q1", "", "0999-Q1"):
        r = await client.post("/v1/reports", json={"client_id": CLIENT, "quarter": quarter}, headers=auth())
        assert errors(r) == [["body", "quarter"]], quarter
    r = await client.post("/v1/reports", json={"client_id": OTHER_CLIENT, "quarter": "2027-Q1"}, headers=auth())
    assert errors(r) == [["body", "client_id"]]
    body = {"client_id": CLIENT, "quarter": "2027-Q1", "template_id": OTHER_CLIENT}
    assert errors(await client.post("/v1/reports", json=body, headers=auth())) == [["body", "template_id"]]
    body = {"client_id": CLIENT, "quarter": "2027-Q1", "colour": "blue"}
    assert errors(await client.post("/v1/reports", json=body, headers=auth())) == [["body", "colour"]]
    report = (await client.post("/v1/reports", json={"client_id": CLIENT, "quarter": "2027-Q1"}, headers=auth())).json()
    score = report["sections"][0]["components"][0]
    r = await client.patch(f"/v1/reports/{report['id']}/components/{score['id']}", json={"text": "x"}, headers=auth())
    assert errors(r) == [["body", "text"]]
    notes = report["sections"][-1]["components"][0]["id"]
    r = await client.patch(
        f"/v1/reports/{report['id']}/components/{notes}", json={"text": "x" * 20_001}, headers=auth()
    )
    assert errors(r) == [["body", "text"]]
    r = await client.patch(f"/v1/reports/{report['id']}/components/{OTHER_CLIENT}", json={"text": "x"}, headers=auth())
    assert r.status_code == 404
    r = await client.post("/v1/report-templates", json={"name": "X", "sections": [{"title": "A", "components": [
        {"kind": "weather", "title": "Forecast"}]}]}, headers=auth())  # fmt: skip
    assert errors(r) == [["body", "sections", 0, "components", 0, "kind"]]
    r = await client.post("/v1/report-templates", json={"name": "X", "sections": []}, headers=auth())
    assert errors(r) == [["body", "sections"]]
    read_only = auth(scopes="strategy:read")
    r = await client.post("/v1/reports", json={"client_id": CLIENT, "quarter": "2027-Q1"}, headers=read_only)
    assert r.status_code == 403
    assert (await client.post(f"/v1/reports/{report['id']}/share", headers=read_only)).status_code == 403
    assert (await client.get(f"/v1/reports/{report['id']}", headers=auth(scopes="strategy:write"))).status_code == 403


async def test_a_report_saved_as_a_template_makes_the_next_report_alike(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    await name_client(client, nats_url)
    listed = (await client.get("/v1/report-templates", headers=auth())).json()
    assert [(t["id"], t["default"]) for t in listed["items"]] == [(str(DEFAULT_ID), True)]
    first = (await client.post("/v1/reports", json={"client_id": CLIENT, "quarter": "2027-Q1"}, headers=auth())).json()
    notes = first["sections"][-1]["components"][0]["id"]
    text = "Agenda: score, findings, the year's budget."
    await client.patch(f"/v1/reports/{first['id']}/components/{notes}", json={"text": text}, headers=auth())
    r = await client.post(
        f"/v1/reports/{first['id']}/template", json={"name": "Acme QBR"}, headers={**auth(), "Idempotency-Key": "t1"}
    )
    assert r.status_code == 201, r.text
    saved = r.json()
    again = await client.post(
        f"/v1/reports/{first['id']}/template", json={"name": "Acme QBR"}, headers={**auth(), "Idempotency-Key": "t1"}
    )
    assert again.json() == saved  # the same answer, no second template
    assert (saved["name"], saved["default"]) == ("Acme QBR", False)
    assert saved["sections"][-1]["components"] == [{"kind": "notes", "title": "From your vCIO", "text": text}]
    listed = (await client.get("/v1/report-templates", headers=auth())).json()
    assert [t["name"] for t in listed["items"]] == ["Quarterly business review (default)", "Acme QBR"]
    body = {"client_id": CLIENT, "quarter": "2027-Q2", "template_id": saved["id"]}
    second = (await client.post("/v1/reports", json=body, headers=auth())).json()
    assert second["template_id"] == saved["id"]
    assert [s["title"] for s in second["sections"]] == [s["title"] for s in first["sections"]]
    assert second["sections"][-1]["components"][0]["text"] == text
    own = {
        "name": "Scores only",
        "sections": [{"title": "Scores", "components": [{"kind": "score_trend", "title": "Where we are"}]}],
    }
    made = (await client.post("/v1/report-templates", json=own, headers=auth())).json()
    body = {"client_id": CLIENT, "quarter": "2027-Q2", "template_id": made["id"], "title": "Scores for Acme"}
    third = (await client.post("/v1/reports", json=body, headers=auth())).json()
    assert third["title"] == "Scores for Acme"
    assert [[c["kind"] for c in s["components"]] for s in third["sections"]] == [["score_trend"]]
    assert third["sections"][0]["components"][0]["data"]["score"] is None  # no assessment yet


async def test_a_stored_template_is_answered_within_its_documented_schema(client: httpx.AsyncClient) -> None:
    """A title the request accepts (a control character, which stripping keeps) must fit the answer's schema:
    the answer's models carry no request pattern (schemathesis found the answer refused by its own schema)."""
    own = {"name": "N", "sections": [{"title": "S", "components": [{"kind": "notes", "title": "\u0019"}]}]}
    made = await client.post("/v1/report-templates", json=own, headers=auth())
    assert made.status_code == 201, made.text
    got = await client.get(f"/v1/report-templates/{made.json()['id']}", headers=auth())
    assert got.json()["sections"][0]["components"][0]["title"] == "\u0019"
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert "pattern" not in schemas["ComponentSpecOut"]["properties"]["title"]
    assert "pattern" not in schemas["SectionSpecOut"]["properties"]["title"]


async def test_the_document_lists_the_fifteen_weightiest_findings_and_counts_the_rest(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    await name_client(client, nats_url)
    questions = [{"text": f"Low {n}?", "priority": "low"} for n in range(15)]
    questions += [{"text": "High A?", "priority": "high"}, {"text": "High B?", "priority": "high"}]
    standard = {"name": "Seventeen", "sections": [{"name": "All", "questions": questions}]}
    made = (await client.post("/v1/standards", json=standard, headers=auth())).json()
    made = (await client.post(f"/v1/standards/{made['id']}/publish", headers=auth())).json()
    body = {"client_id": CLIENT, "standard_id": made["id"]}
    a = (await client.post("/v1/assessments", json=body, headers=auth())).json()
    for q in made["sections"][0]["questions"]:
        await client.put(f"/v1/assessments/{a['id']}/responses/{q['id']}", json={"answer": "no"}, headers=auth())
    assert (await client.post(f"/v1/assessments/{a['id']}/complete", headers=auth())).status_code == 200
    report = (await client.post("/v1/reports", json={"client_id": CLIENT, "quarter": "2027-Q2"}, headers=auth())).json()
    found = report["sections"][0]["components"][1]["data"]
    assert found["count"] == 17 and len(found["items"]) == 17  # the snapshot keeps them all
    assert [f["text"] for f in found["items"][:2]] == ["High A?", "High B?"]
    html = (await client.get(f"/v1/reports/{report['id']}/html", headers=auth())).text
    assert "High A?" in html and "Low 12?" in html and "Low 13?" not in html and "Low 14?" not in html
    assert "And 2 more of lower or equal weight" in html
