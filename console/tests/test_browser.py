"""The console in Debian's chromium: sign in with the development link, see the dashboard's figures."""

from __future__ import annotations

from typing import Any

from playwright.async_api import async_playwright, expect

from console.tests.conftest import ARGS, CHROMIUM
from vcio_console.signin import dev_link
from vcio_shared.testing import TEST_SECRET


async def test_the_dev_link_signs_in_and_the_dashboard_shows_the_figures(console_server: str, practice: Any) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(f"{console_server}/")
            await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            await page.goto(dev_link(TEST_SECRET, practice.tenant, console_server))
            await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
            assert page.url == f"{console_server}/"
            usd = page.locator('#mrr tr[data-currency="USD"]')
            await expect(usd.locator("td.mrr")).to_have_text("2,000.00 USD")
            await expect(usd.locator("td.arr")).to_have_text("24,000.00 USD")
            await expect(page.locator('#mrr tr[data-currency="EUR"] td.mrr')).to_have_text("1,000.00 EUR")
            await expect(page.locator("#renewals tbody tr")).to_have_count(1)
            await expect(page.locator("#renewals tbody a")).to_have_text("Northwind <b>Dental</b> & Co")
            await expect(page.locator("svg.chart rect")).to_have_count(2)
            # the clients page through htmx-free navigation, then a client's page
            await page.get_by_role("link", name="Clients").click()
            await page.get_by_label("Find a client by e-mail address").fill("it@contoso.example")
            await page.get_by_role("button", name="Find").click()
            await expect(page.locator("#clients tbody tr")).to_have_count(1)
            await page.get_by_role("link", name="Contoso GmbH").click()
            await expect(page.locator("#client-name")).to_have_text("Contoso GmbH")
            await expect(page.locator(".agreement td.mrr")).to_have_text("1,000.00 EUR")
            assert errors == []  # no CSP violation, no script error
        finally:
            await browser.close()
