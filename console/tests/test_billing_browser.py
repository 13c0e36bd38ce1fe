"""The billing page in Debian's chromium: preview a run, run it and watch its progress reach done over
server-sent events, then record a payment and see the client's balance change; axe-core on each page it sees."""

from __future__ import annotations

from typing import Any

from playwright.async_api import async_playwright, expect

from console.tests.conftest import ARGS, CHROMIUM
from console.tests.test_accessibility import AXE, RUN
from console.tests.test_billing import TODAY, billing_tenant, number, urls_of
from vcio_console.signin import dev_link
from vcio_shared.testing import TEST_SECRET


async def violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands."""
    await page.evaluate(AXE)
    return await page.evaluate(RUN)  # type: ignore[no-any-return]


async def test_preview_run_with_live_progress_and_a_payment(console_server: str, platform: Any) -> None:
    billed = await billing_tenant(urls_of(platform), "console-billing-browser", run=False)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(dev_link(TEST_SECRET, billed.tenant, console_server))
            await page.get_by_role("link", name="Billing").click()
            await expect(page.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
            # the preview, through htmx into #preview
            await page.get_by_label("Preview a run on").fill(TODAY.isoformat())
            await page.get_by_role("button", name="Preview").click()
            await expect(page.locator("#preview-invoices tbody tr")).to_have_count(3)
            await expect(page.locator("#preview .preview-count")).to_have_text("3")
            await expect(page.locator("#preview-totals")).to_contain_text("3,900.00 USD")
            assert page.url == f"{console_server}/billing"  # htmx swapped the table in; no navigation
            await expect(page.locator("#runs")).to_have_count(0)  # the preview wrote nothing
            assert await violations(page) == []
            # the run, and its progress streamed until done
            await page.get_by_label("Run billing as of").fill(TODAY.isoformat())
            await page.get_by_role("button", name="Run billing").click()
            await expect(page.get_by_role("heading", name=f"Billing run as of {TODAY.isoformat()}")).to_be_visible()
            await expect(page.locator('#run-progress[data-followed="done"]')).to_have_count(1, timeout=30_000)
            await expect(page.locator("#run-progress .run-status")).to_have_text("done")
            await expect(page.locator("#run-progress .run-processed")).to_have_text("1 of 1")
            await expect(page.locator("#run-progress .run-invoices")).to_have_text("3")
            await page.get_by_role("link", name="See its invoices").click()
            await expect(page.locator("#run-invoices tbody tr")).to_have_count(3)
            assert await violations(page) == []
            # the first invoice: record its payment; the client's balance drops by it
            await page.get_by_role("link", name=number(1), exact=True).click()
            await expect(page.locator("#invoice-h")).to_have_text(f"Invoice {number(1)}")
            await expect(page.locator("td.balance-due")).to_have_text("3,900.00 USD")
            await expect(page.get_by_label("Amount (USD)")).to_have_value("1500.00")
            await page.get_by_label("Reference").fill("Wire 7781")
            await page.get_by_role("button", name="Record the payment").click()
            await expect(page.locator("#invoice-status")).to_have_text("paid")
            await expect(page.locator("td.balance-due")).to_have_text("2,400.00 USD")
            await expect(page.locator("td.paid")).to_have_text("1,500.00 USD")
            assert await violations(page) == []
            await page.goto(f"{console_server}/billing?client={billed.client['id']}")
            await expect(page.locator("#invoices tbody tr")).to_have_count(3)
            await expect(page.locator("td.balance-due")).to_have_text("2,400.00 USD")
            assert await violations(page) == []
            assert errors == []  # no CSP violation, no script error
        finally:
            await browser.close()
