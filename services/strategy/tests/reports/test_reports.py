import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
from nats.js import JetStreamContext

from services.strategy.tests.support import CLIENT, initiative
from strategy.reports.template import DEFAULT_ID
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth, eventually


def components(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["kind"]: c for s in report["sections"] for c in s["components"]}


def pdf_lines(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(line.split()) for line in text.splitlines()]


async def new_report(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await client.post("/v1/reports", json={"client_id": CLIENT, "quarter": "2027-Q2", **body}, headers=auth())
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_report_snapshots_score_trend_open_findings_and_the_next_four_quarters(
    client: httpx.AsyncClient, worked: None
) -> None:
    report = await new_report(client)
    assert (report["quarter"], report["fiscal_year"], report["period_start"], report["period_end"]) == (
        "2027-Q2",
        2027,
        "2026-10-01",
        "2027-01-01",
    )
    assert (report["title"], report["status"], report["template_id"]) == (
        "Quarterly business review: Acme Dental, FY2027 Q2",
        "draft",
        str(DEFAULT_ID),
    )
    assert [s["title"] for s in report["sections"]] == [
        "Where you stand",
        "The quarter in review",
        "The plan ahead",
        "Notes",
    ]
    parts = components(report)
    score = parts["score_trend"]["data"]
    assert (score["score"], score["change"]) == ("36.4", "-63.6")
    assert score["sections"] == [{"name": "Strategy", "score": "72.2"}, {"name": "Security", "score": "11.5"}]
    assert [t["score"] for t in score["trend"]] == ["100.0", "36.4"]
    assert score["standard_name"] == "Small office review"
    found = parts["findings"]["data"]
    # Q3 is internal only, Q6 answered by a done initiative; the rest by weight: Q4 (5), Q5 (5), Q2 (3)
    assert found["count"] == 3
    assert [(f["text"], f["priority"], f["rating"]) for f in found["items"]] == [
        ("Is MFA enforced?", "high", "vulnerable"),
        ("Are backups tested?", "high", None),
        ("Is there a budget?", "medium", "marginal"),
    ]
    road = parts["roadmap"]["data"]
    assert [(q["fiscal_year"], q["quarter"], q["total"]) for q in road["quarters"]] == [
        (2027, 3, "4300.00"),
        (2027, 4, "0.00"),
        (2028, 1, "0.00"),
        (2028, 2, "8600.00"),
    ]
    assert (road["currency"], road["one_time"], road["recurring_annual"], road["total"]) == (
        "USD",
        "7500.00",
        "5400.00",
        "12900.00",
    )
    assert road["quarters"][0]["start_date"] == "2027-01-01"
    assert [i["title"] for i in road["quarters"][3]["initiatives"]] == ["ERP selection"]
    assert "owner_id" not in json.dumps(road) and "finding_ids" not in json.dumps(road)
    assert {c["taken_at"] for c in parts.values()} == {"2026-11-29T10:00:00Z"}
    assert (await client.get(f"/v1/reports/{report['id']}", headers=auth())).json() == report

    # fiscal 2027 Q1 ended 2026-10-01: only the first assessment was completed by then
    early = components(await new_report(client, quarter="2027-Q1"))
    assert (early["score_trend"]["data"]["score"], early["score_trend"]["data"]["change"]) == ("100.0", None)
    assert early["findings"]["data"] == {"assessment_id": early["score_trend"]["data"]["assessment_id"], "count": 0,
                                         "items": []}  # fmt: skip
    listed = (await client.get(f"/v1/reports?client_id={CLIENT}", headers=auth())).json()
    assert [r["quarter"] for r in listed["items"]] == ["2027-Q2", "2027-Q1"]


async def test_snapshots_stay_until_refreshed_and_notes_survive_a_refresh(
    client: httpx.AsyncClient, worked: None, clock: FixedClock
) -> None:
    report = await new_report(client)
    notes = components(report)["notes"]
    url = f"/v1/reports/{report['id']}/components/{notes['id']}"
    r = await client.patch(url, json={"text": "Budget for the backup project is approved."}, headers=auth())
    assert r.status_code == 200, r.text
    await initiative(client, "Wi-Fi upgrade", 2027, 4, one_time=[{"label": "Access points", "amount": "1200.00"}])
    again = (await client.get(f"/v1/reports/{report['id']}", headers=auth())).json()
    assert components(again)["roadmap"]["data"]["total"] == "12900.00"  # the snapshot, not today's roadmap
    clock.set(clock.now().replace(hour=15))
    refreshed = (await client.post(f"/v1/reports/{report['id']}/refresh", headers=auth())).json()
    parts = components(refreshed)
    assert (parts["roadmap"]["data"]["one_time"], parts["roadmap"]["data"]["total"]) == ("8700.00", "14100.00")
    assert parts["roadmap"]["data"]["quarters"][1]["total"] == "1200.00"
    assert parts["roadmap"]["taken_at"] == "2026-11-29T15:00:00Z"
    assert parts["notes"]["text"] == "Budget for the backup project is approved."
    assert parts["notes"]["taken_at"] == "2026-11-29T10:00:00Z"
    assert [c["id"] for s in refreshed["sections"] for c in s["components"]] == [
        c["id"] for s in report["sections"] for c in s["components"]
    ]


async def test_the_pdf_has_the_figures_and_sharing_publishes_it(
    client: httpx.AsyncClient, worked: None, js: JetStreamContext, tmp_path: Path
) -> None:
    report = await new_report(client)
    notes = components(report)["notes"]
    await client.patch(
        f"/v1/reports/{report['id']}/components/{notes['id']}", json={"text": "Next QBR in March."}, headers=auth()
    )
    html = await client.get(f"/v1/reports/{report['id']}/html", headers=auth())
    assert html.status_code == 200 and "36.4 %" in html.text and "12,900.00 USD" in html.text
    assert "asset list is a spreadsheet" not in html.text and "Are assets tracked?" not in html.text
    pdf = await client.get(f"/v1/reports/{report['id']}/pdf", headers=auth())
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    lines = pdf_lines(pdf.content, tmp_path)
    assert "Quarterly business review: Acme Dental, FY2027 Q2" in lines
    assert "Alignment score Reviewed against Reviews so far" in lines
    assert any(line.startswith("36.4 %") for line in lines)  # the score, in large type
    assert "-63.6 points since the last review" in lines
    assert "Strategy 72.2 %" in lines and "Security 11.5 %" in lines
    assert "Is MFA enforced? Security High Vulnerable" in lines
    assert "Is there a budget? Strategy Medium Marginal" in lines
    assert "FY2027 Q3 total 2,500.00 1,800.00 4,300.00 USD" in lines
    assert "FY2028 Q2 total 5,000.00 3,600.00 8,600.00 USD" in lines
    assert "Next four quarters 7,500.00 5,400.00 12,900.00 USD" in lines
    assert "Next QBR in March." in lines

    sub = await js.pull_subscribe("vcio.strategy.report.published", durable="t-report", stream="STRATEGY")
    shared = await client.post(f"/v1/reports/{report['id']}/share", headers=auth())
    assert shared.status_code == 201, shared.text
    path = httpx.URL(shared.json()["url"]).path
    got = (await client.get(f"/v1/reports/{report['id']}", headers=auth())).json()
    assert (got["status"], got["published_at"]) == ("published", "2026-11-29T10:00:00Z")

    async def fetched() -> Any:
        try:
            return await sub.fetch(1, timeout=0.5)
        except TimeoutError:
            return None

    [msg] = await eventually(fetched)
    event = json.loads(msg.data)
    assert (event["type"], event["tenantid"], event["subject"]) == (
        "vcio.strategy.report.published",
        "tenant-a",
        CLIENT,
    )
    assert event["data"] == {
        "report_id": report["id"],
        "client_id": CLIENT,
        "quarter": "2027-Q2",
        "title": "Quarterly business review: Acme Dental, FY2027 Q2",
        "activity_id": None,
        "url": shared.json()["url"],
        "published_at": "2026-11-29T10:00:00Z",
    }
    page = await client.get(path)  # the client's link: no bearer token
    assert page.status_code == 200 and "36.4 %" in page.text and "Next QBR in March." in page.text
    assert "nonce-" in page.headers["content-security-policy"]
    client_pdf = await client.get(f"{path}/pdf")
    assert "Next four quarters 7,500.00 5,400.00 12,900.00 USD" in pdf_lines(client_pdf.content, tmp_path)
    assert (await client.delete(f"/v1/reports/{report['id']}/share", headers=auth())).status_code == 204
    assert (await client.get(path)).status_code == 404
    assert (await client.get(f"{path}/pdf")).status_code == 404
    assert (await client.get(f"/v1/reports/{report['id']}", headers=auth())).json()["status"] == "draft"
    assert (await client.delete(f"/v1/reports/{report['id']}/share", headers=auth())).status_code == 404
