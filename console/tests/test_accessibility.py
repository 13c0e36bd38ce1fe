"""axe-core (vendored, tests/vendor/axe-core) on every page of the console: no serious or critical violation.

The known practice (practice.py) shows the pages with its data; a tenant of this test's own holds what the practice
has not: a package with two versions (the editor and the diff) and a webhook endpoint (its page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright

from console.tests.conftest import ARGS, CHROMIUM
from console.tests.practice import ESSENTIALS_EUR, ok
from vcio_console.pages import navigation
from vcio_console.signin import dev_link
from vcio_shared.testing import TEST_SECRET, auth

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
    .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
}"""
OWN = "console-accessibility"


async def violations(page: Page, url: str) -> tuple[int, list[str]]:
    """The status of the page at `url`, and axe-core's serious and critical violations on it."""
    response = await page.goto(url)
    assert response is not None
    await page.evaluate(AXE)  # evaluated over DevTools: the console's CSP does not have to allow it
    return response.status, await page.evaluate(RUN)


async def practice_pages(urls: dict[str, str], practice: Any) -> list[str]:
    """Every page of the console with the practice's data in it."""
    h = auth(practice.tenant)
    northwind = practice.clients["northwind"]["id"]
    async with httpx.AsyncClient(timeout=30) as http:
        draft = ok(await http.get(f"{urls['proposals']}/v1/proposals", params={"status": "draft"}, headers=h))
        staff = ok(await http.get(f"{urls['scheduler']}/v1/staff", headers=h))
        invoices = ok(await http.get(f"{urls['billing']}/v1/invoices", params={"client_id": northwind}, headers=h))
        runs = ok(await http.get(f"{urls['billing']}/v1/billing-runs", headers=h))
    ada = next(s["id"] for s in staff["items"] if s["name"] == "Ada Vance")
    return [
        *(href for _, href, _ in navigation()),  # each page of the top navigation
        "/clients?email=nobody%40else.example",
        f"/clients/{northwind}",
        "/clients/new",
        "/catalog/new",
        "/proposals/new",
        f"/proposals/{draft['items'][0]['id']}",
        f"/delivery?staff={ada}",
        "/billing?status=issued",
        f"/billing/invoices/{invoices['items'][0]['id']}",
        f"/billing/runs/{runs['items'][0]['id']}",
        "/no-such-page",
    ]


async def own_pages(urls: dict[str, str]) -> list[str]:
    """The pages of what this test makes for its own tenant: a package in two versions and a webhook endpoint."""
    h = auth(OWN)
    async with httpx.AsyncClient(timeout=30) as http:
        package = ok(await http.post(f"{urls['catalog']}/v1/packages", json=ESSENTIALS_EUR, headers=h), 201)
        path = f"{urls['catalog']}/v1/packages/{package['id']}"
        ok(await http.post(f"{path}/publish", headers=h))
        ok(await http.put(path, json={**ESSENTIALS_EUR, "monthly_price": "1100.00"}, headers=h))
        ok(await http.post(f"{path}/publish", headers=h))
        endpoint = {"url": "https://psa.example/hooks/vcio", "description": "PSA", "enabled": False}
        made = ok(await http.post(f"{urls['integrations']}/v1/webhook-endpoints", json=endpoint, headers=h), 201)
    return [
        f"/catalog/{package['id']}",
        f"/catalog/{package['id']}/diff?left=1&right=2",
        f"/integrations/endpoints/{made['id']}",
    ]


async def test_no_page_has_a_serious_or_critical_violation(console_server: str, platform: Any, practice: Any) -> None:
    urls = {s: platform.url(s) for s in ("catalog", "proposals", "billing", "scheduler", "integrations")}
    pages = await practice_pages(urls, practice)
    own = await own_pages(urls)
    found: dict[str, tuple[int, list[str]]] = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            found["/signin"] = await violations(page, f"{console_server}/signin")  # before signing in
            await page.goto(dev_link(TEST_SECRET, practice.tenant, console_server))
            for path in pages:
                found[path] = await violations(page, console_server + path)
            await page.goto(dev_link(TEST_SECRET, OWN, console_server))
            for path in own:
                found[f"{OWN} {path}"] = await violations(page, console_server + path)
        finally:
            await browser.close()
    assert len(found) == 1 + len(pages) + len(own) == 23  # 8 navigation pages, 14 more, sign-in
    assert found == {path: (404 if path == "/no-such-page" else 200, []) for path in found}
