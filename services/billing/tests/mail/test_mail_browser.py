"""The invoice e-mail's HTML, exactly as it arrives at a real SMTP server, rendered by chromium (Debian's, through
Playwright): the figures a client reads are the invoice's."""

import pytest
from billing_helpers import accept, accepted, invoices, run
from mail_helpers import handle_issued, issued_event, mail_app, parts, profile, send_due
from playwright.async_api import async_playwright, expect

from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.testing import running

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-sync"]


@pytest.fixture
def smtp():
    with SmtpRecorder() as server:
        yield server


async def test_the_invoice_email_shows_the_invoice_figures_in_chromium(settings, clock, smtp) -> None:
    app = mail_app(settings, clock, smtp)
    async with running(app) as client:
        await profile(app)
        assert await accept(app, accepted(monthly="1500.00", tax_rate="8.25", one_time=[("Onboarding", "750.00")]))
        await run(client, "2027-01-01")
        [invoice] = await invoices(client)
        assert await handle_issued(app, issued_event(invoice))
        assert await send_due(app) == 1
    [msg] = smtp.messages
    _, html = parts(msg)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.set_content(html)
            await expect(page).to_have_title("Invoice INV-2027-000001")
            await expect(page.locator("#number")).to_have_text("INV-2027-000001")
            lines = page.locator("#lines tr.line")
            await expect(lines).to_have_count(2)
            await expect(lines.locator("td.description")).to_have_text(
                ["vCIO Growth, monthly subscription", "Onboarding"]
            )
            await expect(lines.locator("td.amount")).to_have_text(["1500.00", "750.00"])
            await expect(page.locator("#subtotal")).to_have_text("2250.00 USD")
            await expect(page.locator("#tax")).to_have_text("185.63 USD")
            await expect(page.locator("#total")).to_have_text("2435.63 USD")
            await expect(page.locator("#amount-due")).to_have_text("2435.63 USD")
            await expect(page.locator("#due-date")).to_have_text("31 January 2027")
            await expect(page.locator("#how-to-pay")).to_contain_text("Routing 123000848, account 99887766")
            await expect(page.locator(".footer")).to_contain_text("Northwind IT Services LLC")
            # laid out, not just parsed: the total sits to the right of its label, on one line
            label = await page.locator("#totals tr.total td").first.bounding_box()
            total = await page.locator("#total").bounding_box()
            assert label is not None and total is not None
            assert total["x"] > label["x"] + label["width"] - 1 and abs(total["y"] - label["y"]) < 2
        finally:
            await browser.close()
