"""The whole practice in Debian's chromium, from an empty tenant, only through the console's pages (and the client's
page of the proposals service, opened from the link the console shows): a package made and published, a staff
member added, a client added, a proposal built, sent and accepted, the agreement and the plan (assigned to the staff
member) on the client's page, the dashboard's MRR before and after, an activity completed on /delivery, a billing
dry run and a real run followed to done, the delivered activity on the next month's invoice, a payment recorded and
the client's balance after it.

Each main page is photographed at 1280×800: into a temporary directory, or into the directory VCIO_SCREENSHOTS names.
The README's screenshots are refreshed with
`VCIO_SCREENSHOTS=docs/console .venv/bin/pytest console/tests/test_journey_browser.py`.

The one call to an API is billing's settings: the automatic run is off for the tenant, so that only the runs a
person starts bill it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from dateutil.relativedelta import relativedelta
from playwright.async_api import Locator, Page, ViewportSize, async_playwright, expect

from console.tests.conftest import ARGS, CHROMIUM
from vcio_console.signin import dev_link
from vcio_shared.testing import TEST_SECRET, auth, eventually

TENANT = "console-journey"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
HTMX = 20_000  # ms for what htmx fetches as you type (a service call behind it) on a loaded machine
EVENTS = 60  # seconds for what travels over NATS (catalog → proposals → billing → scheduler) on a loaded machine
CLIENT = "Harbor Dental Group"
EMAIL = "office@harbor-dental.example"
STAFF = "Avery Brooks"  # vCIO and account manager: every role the package's activities need
OUTCOME = "Roadmap for 2027 agreed: server refresh in Q1, MFA everywhere by Q2"


def business_day(day: dt.date) -> dt.date:
    """The scheduler's due date of an occurrence: a Saturday or Sunday is due the following Monday."""
    return day + dt.timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: the directory VCIO_SCREENSHOTS names (docs/console to refresh the README's), else a
    temporary one, so a test run leaves the repository as it was."""
    named = os.environ.get("VCIO_SCREENSHOTS", "").strip()
    where = Path(named) if named else tmp_path / "screenshots"
    where.mkdir(parents=True, exist_ok=True)
    return where


async def shot(page: Page, shots: Path, name: str) -> None:
    """The viewport (1280×800) as <shots>/<name>.png."""
    await page.screenshot(path=str(shots / f"{name}.png"))


async def reload_until(page: Page, locator: Locator, text: str, timeout: float = EVENTS) -> None:
    """Reload the page until `locator` reads `text`: what another service learns over NATS shows on a reload."""

    async def shown() -> bool:
        await page.reload()
        return await locator.count() == 1 and (await locator.inner_text()).strip() == text

    await eventually(shown, timeout=timeout, interval=0.5)


async def test_the_whole_practice_from_an_empty_tenant_in_chromium(
    console_server: str, platform: Any, shots: Path
) -> None:
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
            # the hourly rates the editor prices effort at, saved in the catalog's settings from its page
            await page.get_by_label("Add rates in").select_option("USD")
            await page.get_by_label("vCIO rate in the added currency").fill("175.00")
            await page.get_by_label("Account manager rate in the added currency", exact=True).fill("125.00")
            await page.get_by_role("button", name="Save rates").click()
            await expect(page.get_by_label("vCIO rate in USD")).to_have_value("175.00", timeout=HTMX)
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
            # (6 h × 175 + 4 × 3 h × 125) ÷ 12, at the rates saved above
            await expect(page.locator("#suggested strong")).to_have_text("212.50 USD", timeout=HTMX)
            await shot(page, shots, "catalog-editor")
            await page.get_by_role("button", name="Publish version 1").click()
            await expect(page.locator("#package-state")).to_contain_text("Version 1 published", timeout=HTMX)

            # a staff member with both roles, before any plan: the plan is then assigned to them
            await page.get_by_role("link", name="Staff", exact=True).click()
            await expect(page.locator("#no-staff")).to_be_visible()
            await page.locator("#s-name").fill(STAFF)
            await page.locator("#s-email").fill("avery@msp.example")
            await page.get_by_label("vCIO", exact=True).check()
            await page.get_by_label("Account manager", exact=True).check()
            await page.locator("#s-capacity").fill("32")
            await page.locator("#add-staff").click()
            await expect(page.locator("#staff tbody tr td")).to_have_text(
                [STAFF, "avery@msp.example", "vCIO, Account manager", "32.00", "yes"], timeout=HTMX
            )
            await shot(page, shots, "staff")

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
            await shot(page, shots, "proposal-builder")

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
            last_day = start + relativedelta(months=12) - dt.timedelta(days=1)  # the term's last day
            await expect(page.locator(".agreement td.term")).to_have_text(
                f"{start.isoformat()} to {last_day.isoformat()} (12 months, term 1), billed monthly"
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
            await shot(page, shots, "client")

            # the dashboard's MRR: none before, the agreement's after
            await page.get_by_role("link", name="Dashboard", exact=True).click()
            usd = page.locator('#mrr tr[data-currency="USD"]')
            await expect(usd.locator("td.mrr")).to_have_text("1,080.00 USD")
            await expect(usd.locator("td.arr")).to_have_text("12,960.00 USD")
            await expect(usd.locator("td.agreements")).to_have_text("1")
            await expect(page.locator("#mrr tbody tr")).to_have_count(1)
            await expect(page.get_by_role("heading", name="Overdue activities (2)")).to_be_visible()
            await shot(page, shots, "dashboard")
            await page.get_by_role("link", name="Clients", exact=True).click()
            await expect(page.locator("#clients tbody tr")).to_have_count(1)
            await shot(page, shots, "clients")

            # 6. complete an activity on /delivery: the plan's, assigned to the staff member by role
            await page.get_by_role("link", name="Delivery", exact=True).click()
            await expect(page.locator("#unmapped")).to_be_visible()  # the sign-in ("dev") is no staff member's e-mail
            await page.get_by_label("Show the activities of").select_option(label=STAFF)
            await page.get_by_role("button", name="Show", exact=True).click()
            await expect(page.locator("#whose")).to_have_text(
                f"Activities of {STAFF} (vcio, account manager)", timeout=HTMX
            )
            counts = page.locator("#activity-counts")
            # open: the two of the first month (overdue) and the next QBR (within the 90 days ahead)
            await expect(counts).to_have_text(
                "2 overdue · 1 upcoming · 0 done · 0 skipped (done and skipped in the last 90 days)"
            )
            roadmap = page.locator("#open-activities li.activity").filter(has_text="IT roadmap")
            await expect(roadmap).to_have_count(1)
            await roadmap.locator("summary").click()
            await roadmap.get_by_label("Outcome").fill(OUTCOME)
            await roadmap.get_by_label("Hours spent").fill("5.5")
            await roadmap.get_by_role("button", name="Complete").click()
            await expect(counts).to_have_text(
                "1 overdue · 1 upcoming · 1 done · 0 skipped (done and skipped in the last 90 days)", timeout=HTMX
            )
            await expect(page.locator("#closed-activities li")).to_have_text(
                [f"{first_due.isoformat()} · IT roadmap · {CLIENT} done 5.50 h: {OUTCOME}"]
            )
            await expect(page.locator("#open-activities li.activity")).to_have_count(2)
            await page.goto(client_url)
            await expect(page.locator("#plan-counts")).to_have_text("1 done · 1 overdue · 3 upcoming")

            # 7. billing: a dry run as of today (nothing written), then a real run followed to done
            await page.get_by_role("link", name="Billing", exact=True).click()
            await expect(page.get_by_text("No billing run yet.")).to_be_visible()
            await expect(page.locator("#preview-as-of")).to_have_value(today.isoformat())
            await page.get_by_role("button", name="Preview", exact=True).click()
            await expect(page.locator("#preview-h")).to_have_text(
                f"Preview of a run on {today.isoformat()}", timeout=HTMX
            )
            await expect(page.locator("#preview-totals dd")).to_have_text(["3", "3,740.00 USD"])
            months = [start + relativedelta(months=n) for n in range(3)]  # September to November, 0 % tax
            periods = [f"{m.isoformat()} – {(m + relativedelta(months=1, days=-1)).isoformat()}" for m in months]
            preview_rows = page.locator("#preview-invoices tbody tr")
            await expect(preview_rows.locator("td.date")).to_have_text(periods)
            await expect(preview_rows.locator("td.num")).to_have_text(["1,580.00 USD", "1,080.00 USD", "1,080.00 USD"])
            await expect(page.locator("#runs")).to_have_count(0)  # the preview made no run
            await expect(page.locator("#run-as-of")).to_have_value(today.isoformat())
            await page.get_by_role("button", name="Run billing", exact=True).click()
            await expect(page.get_by_role("heading", name=f"Billing run as of {today.isoformat()}")).to_be_visible(
                timeout=HTMX
            )
            progress = page.locator("#run-progress")
            await expect(progress.locator(".run-status")).to_have_text("done", timeout=EVENTS * 1000)
            await expect(progress.locator(".run-processed")).to_have_text("1 of 1")
            await expect(progress.locator(".run-invoices")).to_have_text("3")
            await expect(progress.locator(".run-total")).to_have_text("3,740.00 USD")
            await progress.get_by_role("link", name="See its invoices").click()
            run_rows = page.locator("#run-invoices tbody tr")
            await expect(run_rows).to_have_count(3, timeout=HTMX)
            await expect(run_rows.locator("td.date")).to_have_text(periods)
            await expect(run_rows.locator("td.num")).to_have_text(["1,580.00 USD", "1,080.00 USD", "1,080.00 USD"])

            # 8. the second month's invoice shows what was delivered in the first; it is paid in full
            await run_rows.nth(1).get_by_role("link").first.click()
            await expect(page.locator("#invoice-status")).to_have_text("issued", timeout=HTMX)
            await expect(page.locator("#invoice-total")).to_have_text("1,080.00 USD")
            delivered = page.locator("#value-delivered li")
            # billing hears of the completion over NATS
            await reload_until(page, delivered, f"{today.isoformat()} · IT roadmap (5.50 h): {OUTCOME}")
            sept = f"{months[0].isoformat()} – {(months[1] - dt.timedelta(days=1)).isoformat()}"
            await expect(page.get_by_role("heading", name=f"Value delivered, {sept}")).to_be_visible()
            await expect(page.locator("#pay-amount")).to_have_value("1080.00")
            await expect(page.locator("#pay-on")).to_have_value(today.isoformat())
            await page.locator("#pay-reference").fill("ACH 20261129")
            await page.get_by_role("button", name="Record the payment").click()
            await expect(page.locator("#invoice-status")).to_have_text("paid", timeout=HTMX)
            await expect(page.locator("#invoice-paid")).to_have_text("1,080.00 USD")
            await expect(page.locator("#invoice-due")).to_have_text("0.00 USD")
            balance = page.locator('.balance-table tr[data-currency="USD"]')
            await expect(balance.locator("td")).to_have_text(
                ["3,740.00 USD", "1,080.00 USD", "0.00 USD", "2,660.00 USD", "0.00 USD"]
            )

            # 9. the client's balance and invoices, and the dashboard after it all
            await page.goto(client_url)
            await expect(page.locator('.balance[data-currency="USD"]')).to_have_text("Balance due: 2,660.00 USD")
            await expect(page.locator("#invoices tbody tr td .state")).to_have_text(["issued", "paid", "issued"])
            await page.get_by_role("link", name="Dashboard", exact=True).click()
            await expect(usd.locator("td.mrr")).to_have_text("1,080.00 USD")  # billing and payments leave MRR as is
            await expect(usd.locator("td.arr")).to_have_text("12,960.00 USD")
            await expect(page.get_by_role("heading", name="Overdue activities (1)")).to_be_visible()
            await expect(page.locator("#overdue tbody tr td")).to_have_text(
                [qbrs[0].isoformat(), "Quarterly business review", CLIENT]
            )
            await expect(page.locator("#last-run .invoices-created")).to_have_text("3")
            assert errors == []  # no CSP violation, no script error
        finally:
            await browser.close()


async def test_screenshots_of_delivery_billing_and_integrations(
    console_server: str, practice: Any, shots: Path
) -> None:
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
            await shot(page, shots, "delivery")

            await page.get_by_role("link", name="Billing", exact=True).click()
            await expect(page.locator("#runs tbody tr")).to_have_count(2)  # the practice's two runs
            await shot(page, shots, "billing")

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
            await shot(page, shots, "integrations")
            assert errors == []  # no CSP violation, no script error
        finally:
            await browser.close()
