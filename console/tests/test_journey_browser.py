"""The whole practice in Debian's chromium, from an empty tenant, only through the console's pages (and the client's
page of the proposals service, opened from the link the console shows): a package made and published, a client
added, a proposal built, sent and accepted, the agreement and the plan on the client's page, the dashboard's MRR
before and after. Each main page is photographed at 1280×800 into docs/console/ for the README.

The one call to an API is billing's settings: the automatic run is off for the tenant, so that only the runs a
person starts bill it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
from dateutil.relativedelta import relativedelta
from playwright.async_api import Locator, Page, ViewportSize, async_playwright, expect

from console.tests.conftest import ARGS, CHROMIUM
from vcio_console.signin import dev_link
from vcio_shared.testing import TEST_SECRET, auth, eventually

TENANT = "console-journey"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
HTMX = 20_000  # ms for what htmx fetches as you type (a service call behind it) on a loaded machine
EVENTS = 60  # seconds for what travels over NATS (catalog → proposals → billing → scheduler) on a loaded machine
CLIENT = "Harbor Dental Group"
EMAIL = "office@harbor-dental.example"


def business_day(day: dt.date) -> dt.date:
    """The scheduler's due date of an occurrence: a Saturday or Sunday is due the following Monday."""
    return day + dt.timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


async def shot(page: Page, name: str) -> None:
    """The viewport (1280×800) as docs/console/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"))


async def reload_until(page: Page, locator: Locator, text: str, timeout: float = EVENTS) -> None:
    """Reload the page until `locator` reads `text`: what another service learns over NATS shows on a reload."""

    async def shown() -> bool:
        await page.reload()
        return await locator.count() == 1 and (await locator.inner_text()).strip() == text

    await eventually(shown, timeout=timeout, interval=0.5)


async def test_the_whole_practice_from_an_empty_tenant_in_chromium(console_server: str, platform: Any) -> None:
    today = dt.datetime.now(dt.UTC).date()
    start = today.replace(day=1) - relativedelta(months=2)  # two months into the term: a plan with a past
    first_due = business_day(start)
    qbrs = [business_day(start + relativedelta(months=3 * n)) for n in range(4)]
    async with httpx.AsyncClient(timeout=30) as http:  # the only setup through an API (see the docstring)
        r = await http.put(
            f"{platform.url('billing')}/v1/settings", json={"auto_run_enabled": False}, headers=auth(TENANT)
        )
        assert r.status_code == 200, r.text
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(viewport=VIEWPORT)
            await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console_server)
            page = await context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(dev_link(TEST_SECRET, TENANT, console_server))

            # the dashboard of an empty tenant
            await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
            await expect(page.locator("#mrr")).to_have_count(0)
            await expect(page.get_by_text("No active agreements yet.")).to_be_visible()
            await expect(page.get_by_role("heading", name="Overdue activities (0)")).to_be_visible()

            # 1. a package, made in the catalog editor and published
            await page.get_by_role("link", name="Catalog", exact=True).click()
            await page.get_by_role("link", name="New package").click()
            await page.get_by_label("Package name").fill("vCIO Care")
            await page.get_by_label("Monthly price").fill("1200.00")
            await page.get_by_label("Term in months").fill("12")
            await page.get_by_label("Onboarding fee (optional)").fill("500.00")
            row = page.locator("#activity-0")
            await row.get_by_label("Name").fill("IT roadmap")
            await row.get_by_label("Category").select_option("it_strategy")
            await row.get_by_label("Role").select_option("vcio")
            await row.get_by_label("Cadence (RRULE)").fill("FREQ=YEARLY")
            await expect(page.locator("#cadence-words-0")).to_have_text("every year", timeout=HTMX)
            await row.get_by_label("Effort (hours)").fill("6")
            await page.get_by_role("button", name="Add an activity").click()
            row = page.locator("#activity-1")
            await row.get_by_label("Name").fill("Quarterly business review")
            await row.get_by_label("Category").select_option("account_management")
            await row.get_by_label("Role").select_option("account_manager")
            await row.get_by_label("Cadence (RRULE)").fill("FREQ=MONTHLY;INTERVAL=3")
            await expect(page.locator("#cadence-words-1")).to_have_text("every 3 months", timeout=HTMX)
            await row.get_by_label("Effort (hours)").fill("3")
            await page.get_by_role("button", name="Save draft").click()
            await expect(page.locator("#package-state")).to_have_text("Version 1 draft", timeout=HTMX)
            # (6 h × 175 + 4 × 3 h × 125) ÷ 12, at the default rates
            await expect(page.locator("#suggested strong")).to_have_text("212.50 USD", timeout=HTMX)
            await shot(page, "catalog-editor")
            await page.get_by_role("button", name="Publish version 1").click()
            await expect(page.locator("#package-state")).to_contain_text("Version 1 published", timeout=HTMX)

            # 2. a client, added on /clients/new
            # no link on /clients leads here (clients.html has none): the address is typed
            await page.goto(f"{console_server}/clients/new")
            await page.get_by_label("Name").fill(CLIENT)
            await page.get_by_label("Billing e-mail address").fill(EMAIL)
            await page.get_by_label("Time zone").fill("America/New_York")
            await page.get_by_label("Currency").select_option("USD")
            await page.get_by_role("button", name="Add the client").click()
            await expect(page.locator("#client-name")).to_have_text(CLIENT, timeout=HTMX)
            client_url = page.url
            await expect(page.get_by_text("No agreement yet.")).to_be_visible()
            await expect(page.get_by_text("No delivery plan yet.", exact=True)).to_be_visible()

            # 3. a proposal: a draft from the client and the package (once proposals has heard it is published)
            await page.get_by_role("link", name="Proposals", exact=True).click()
            await page.get_by_role("link", name="New proposal").click()
            package = page.get_by_label("Package (its published version)")
            await reload_until(page, package.locator("option").nth(1), "vCIO Care v1 · 1,200.00 USD a month, 12 months")
            await page.get_by_label("Client").select_option(label=f"{CLIENT} (USD)")
            await package.select_option(label="vCIO Care v1 · 1,200.00 USD a month, 12 months")
            await page.get_by_label("Start date").fill(start.isoformat())
            await page.get_by_role("button", name="Create the draft").click()
            await expect(page.locator("#proposal-title")).to_have_text(f"Proposal for {CLIENT}", timeout=HTMX)
            await expect(page.locator("#proposal-status .state")).to_have_text("draft")
            await expect(page.locator("dd.monthly")).to_have_text("1,200.00 USD")
            await page.get_by_label("Discount on recurring items (%)").fill("10")  # htmx: the figures follow
            await page.get_by_label("Reason for the discount (the client reads it)").fill("Two-year relationship")
            await expect(page.locator("dd.monthly")).to_have_text("1,080.00 USD", timeout=HTMX)
            await expect(page.locator("dd.first-invoice")).to_have_text(
                "1,580.00 USD", timeout=HTMX
            )  # a month and the fee
            await expect(page.locator("dd.term-total")).to_have_text("13,460.00 USD")  # 12 × 1,080 + 500
            await expect(page.locator("dd.one-time")).to_have_text("500.00 USD")
            await expect(page.locator("#schedule-summary li")).to_have_text(
                ["1 × IT roadmap (annually)", "4 × Quarterly business review (quarterly)"]
            )
            preview = page.frame_locator("iframe.proposal-preview")
            await expect(preview.locator("#monthly-total")).to_have_text("1,080.00", timeout=HTMX)
            await shot(page, "proposal-builder")

            # send, and copy the link the console shows
            await page.get_by_role("button", name=f"Send to {EMAIL}").click()
            await expect(page.locator("#proposal-status .state")).to_have_text("sent", timeout=HTMX)
            await page.get_by_role("button", name="Copy the link").click()
            await expect(page.get_by_role("button", name="Copied")).to_be_visible(timeout=HTMX)
            link = await page.evaluate("navigator.clipboard.readText()")
            assert link == await page.get_by_label("Link to send or paste").input_value()
            assert "/p/" in link

            # 4. the client accepts on their page (a browser of their own: no console session)
            client_context = await browser.new_context(viewport=VIEWPORT)
            client_page = await client_context.new_page()
            await client_page.goto(link)
            await expect(client_page.locator("#monthly-total")).to_have_text("1,080.00")
            await client_page.fill("#signer_name", "Dr. Maya Chen")
            await client_page.fill("#signer_email", "maya@harbor-dental.example")
            await client_page.click("#accept")
            await expect(client_page.locator("#confirmation")).to_contain_text(
                "Accepted by Dr. Maya Chen (maya@harbor-dental.example) on ", timeout=HTMX
            )
            await client_context.close()
            await page.reload()
            await expect(page.locator("#proposal-status .state")).to_have_text("accepted")
            await expect(page.locator("#outcome")).to_have_text(
                f"Accepted by Dr. Maya Chen (maya@harbor-dental.example) on {today.isoformat()}."
            )

            # 5. the agreement (billing) and the plan (scheduler) reach the client's page over NATS
            await page.goto(client_url)
            await reload_until(page, page.locator("#plan-counts"), "0 done · 2 overdue · 3 upcoming")
            await expect(page.locator(".agreement td.mrr")).to_have_text("1,080.00 USD")
            end = start + relativedelta(months=12)  # billing's end_date, the day after the term (half-open)
            await expect(page.locator(".agreement td.term")).to_have_text(
                f"{start.isoformat()} to {end.isoformat()} (12 months, term 1), billed monthly"
            )
            await expect(page.locator(".agreement .state")).to_have_text("active")
            await expect(page.locator(".agreement td.next-bill")).to_have_text(start.isoformat())  # nothing billed
            await expect(page.locator("#proposals tbody tr td .state")).to_have_text(["accepted"])
            plan = page.locator("ol.timeline li.activity")
            await expect(plan).to_have_count(5)
            expected = sorted([(first_due, "IT roadmap"), *((d, "Quarterly business review") for d in qbrs)])
            await expect(plan).to_have_text(
                [f"{d.isoformat()} · {name} {'overdue' if d < today else 'upcoming'}" for d, name in expected]
            )
            await shot(page, "client")

            # the dashboard's MRR: none before, the agreement's after
            await page.get_by_role("link", name="Dashboard", exact=True).click()
            usd = page.locator('#mrr tr[data-currency="USD"]')
            await expect(usd.locator("td.mrr")).to_have_text("1,080.00 USD")
            await expect(usd.locator("td.arr")).to_have_text("12,960.00 USD")
            await expect(usd.locator("td.agreements")).to_have_text("1")
            await expect(page.locator("#mrr tbody tr")).to_have_count(1)
            await expect(page.get_by_role("heading", name="Overdue activities (2)")).to_be_visible()
            await shot(page, "dashboard")
            await page.get_by_role("link", name="Clients", exact=True).click()
            await expect(page.locator("#clients tbody tr")).to_have_count(1)
            await shot(page, "clients")

            # 6. complete an activity on /delivery: the journey stops here. The tenant has no staff, and no page of
            # the console adds a staff member (the scheduler's POST /v1/staff); /delivery lists only a staff
            # member's activities, so the plan's activities (unassigned) cannot be opened to complete them.
            await page.get_by_role("link", name="Delivery", exact=True).click()
            await expect(page.locator("#unmapped")).to_be_visible()
            await expect(page.locator("#staff option")).to_have_text(["Pick a staff member"])
            await expect(page.locator("#open-activities")).to_have_count(0)
            await expect(page.get_by_text("No staff yet.")).to_be_visible()
            assert errors == []  # no CSP violation, no script error
        finally:
            await browser.close()


async def test_screenshots_of_delivery_billing_and_integrations(console_server: str, practice: Any) -> None:
    """The pages the journey does not reach with data, photographed with the known practice's (delivery of a
    consultant, billing with its runs and invoices) and an endpoint of a tenant of its own (integrations)."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(dev_link(TEST_SECRET, practice.tenant, console_server))
            await page.get_by_role("link", name="Delivery", exact=True).click()
            await page.get_by_label("Show the activities of").select_option(label="Ada Vance")
            await page.get_by_role("button", name="Show", exact=True).click()
            await expect(page.locator("#whose")).to_have_text("Activities of Ada Vance (vcio)")
            await expect(page.locator("#workload tbody tr")).to_have_count(2)  # Ada and Bob
            await shot(page, "delivery")

            await page.get_by_role("link", name="Billing", exact=True).click()
            await expect(page.locator("#runs tbody tr")).to_have_count(2)  # the practice's two runs
            await shot(page, "billing")

            await page.goto(dev_link(TEST_SECRET, f"{TENANT}-integrations", console_server))
            await page.get_by_role("link", name="Integrations", exact=True).click()
            await page.get_by_label("URL (https)").fill("https://psa.example/hooks/vcio")
            await page.get_by_label("Description").fill("PSA: tickets for new agreements and invoices")
            await page.get_by_label("Event types").fill("vcio.billing.agreement.*, vcio.billing.invoice.*")
            await page.get_by_label("Enabled").uncheck()  # nothing is sent to psa.example
            await page.get_by_role("button", name="Add the endpoint").click()
            await expect(page.get_by_role("heading", name="Endpoint added")).to_be_visible()
            await page.locator("#main").get_by_role("link", name="Integrations", exact=True).click()
            row = page.locator("#endpoints tbody tr")
            await expect(row).to_have_count(1)
            await expect(row.locator("td")).to_have_text(
                [
                    "https://psa.example/hooks/vcioPSA: tickets for new agreements and invoices",
                    "vcio.billing.agreement.*, vcio.billing.invoice.*",
                    "every client",
                    "disabled",
                ]
            )
            await shot(page, "integrations")
            assert errors == []  # no CSP violation, no script error
        finally:
            await browser.close()
