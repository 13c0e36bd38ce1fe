"""The shared QBR report in chromium, served by a real strategy process."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import async_playwright

from services.strategy.tests.browser import ARGS, CHROMIUM, strategy_server
from services.strategy.tests.support import CLIENT, july_roadmap, name_client
from vcio_shared.testing import auth


async def _assessed(api: httpx.AsyncClient, standard: dict[str, Any]) -> None:
    """The conftest's standard answered: every question yes, but MFA (high, 5) no: 17 / 22 = 77.27 -> "77.3"."""
    made = (await api.post("/v1/standards", json=standard, headers=auth())).json()
    made = (await api.post(f"/v1/standards/{made['id']}/publish", headers=auth())).json()
    a = (
        await api.post("/v1/assessments", json={"client_id": CLIENT, "standard_id": made["id"]}, headers=auth())
    ).json()
    for q in [q for s in made["sections"] for q in s["questions"]]:
        answer = "no" if q["text"] == "Is MFA enforced?" else "yes"
        r = await api.put(f"/v1/assessments/{a['id']}/responses/{q['id']}", json={"answer": answer}, headers=auth())
        assert r.status_code == 200, r.text
    assert (await api.post(f"/v1/assessments/{a['id']}/complete", headers=auth())).status_code == 200


async def test_the_client_reads_the_shared_report_in_a_browser(
    database_factory: Callable[[str], str],
    nats_url: str,
    streams: None,
    tmp_path: Path,
    standard_body: Callable[..., dict[str, Any]],
) -> None:
    with strategy_server(database_factory("strategy"), nats_url, tmp_path) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as api:
            await name_client(api, nats_url)
            await _assessed(api, standard_body())
            await july_roadmap(api)
            # this quarter, fiscal 2027 Q2 (the server's clock is today's, 2026-11-29): the assessment just completed
            # is in it, and the next four quarters hold fiscal 2028 Q2's ERP selection, 5,000.00 + 3,600.00
            body = {"client_id": CLIENT, "quarter": "2027-Q2"}
            report = (await api.post("/v1/reports", json=body, headers=auth())).json()
            notes = report["sections"][-1]["components"][0]["id"]
            text = "We meet again in March."
            await api.patch(f"/v1/reports/{report['id']}/components/{notes}", json={"text": text}, headers=auth())
            share = (await api.post(f"/v1/reports/{report['id']}/share", headers=auth())).json()
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    page = await browser.new_page(viewport={"width": 1280, "height": 800})
                    errors: list[str] = []
                    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                    response = await page.goto(share["url"])
                    assert response is not None and response.status == 200
                    assert await page.text_content("h1") == "Quarterly business review: Acme Dental, FY2027 Q2"
                    assert await page.text_content("#roadmap-total") == "8,600.00 USD"
                    assert (await page.text_content("#findings-count")) == "1"
                    assert text in (await page.text_content("main") or "")
                    # the score is shown in the accent colour (the nonce'd styles applied)
                    colour = await page.eval_on_selector(".score", "e => getComputedStyle(e).color")
                    assert colour == "rgb(23, 69, 127)"
                    assert await page.text_content(".score") == "77.3 %"
                    shot = tmp_path / "report.png"
                    await page.screenshot(path=str(shot), full_page=True)
                    assert shot.stat().st_size > 10_000
                    assert errors == []
                    assert (await api.delete(f"/v1/reports/{report['id']}/share", headers=auth())).status_code == 204
                    response = await page.goto(share["url"])
                    assert response is not None and response.status == 404
                finally:
                    await browser.close()
