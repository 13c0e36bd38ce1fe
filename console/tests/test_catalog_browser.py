"""The catalog in Debian's chromium: fill the editor, watch each cadence's words follow the RRULE as it is typed,
the suggested price follow what is typed (at the rates saved on the catalog page, and at another rate tried), save,
publish, make version 2 and see the diff."""

from __future__ import annotations

from playwright.async_api import async_playwright, expect

from console.tests.conftest import ARGS, CHROMIUM
from console.tests.test_accessibility import AXE, RUN
from vcio_console.signin import dev_link
from vcio_shared.testing import TEST_SECRET

TENANT = "console-catalog-browser"


async def test_edit_publish_and_compare_a_package_in_chromium(console_server: str) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(dev_link(TEST_SECRET, TENANT, console_server))
            await page.get_by_role("link", name="Catalog", exact=True).click()
            await expect(page.get_by_role("heading", name="Catalog")).to_be_visible()
            # the hourly rates, saved in the catalog's settings from its page
            await page.get_by_label("Add rates in").select_option("USD")
            await page.get_by_label("vCIO rate in the added currency").fill("175")
            await page.get_by_label("Account manager rate in the added currency", exact=True).fill("125")
            await page.get_by_role("button", name="Save rates").click()
            await expect(page.get_by_label("vCIO rate in USD")).to_have_value("175.00")
            await expect(page.get_by_label("Account manager rate in USD", exact=True)).to_have_value("125.00")
            await expect(page.get_by_label("Engineer rate in USD")).to_have_value("")
            await page.get_by_role("link", name="New package").click()

            await page.get_by_label("Package name").fill("vCIO Core")
            await page.get_by_label("Monthly price").fill("1500.00")
            await page.get_by_label("Onboarding fee (optional)").fill("500.00")
            first = page.locator("#activity-0")
            await first.get_by_label("Name").fill("IT roadmap")
            await first.get_by_label("Category").select_option("it_strategy")
            words = page.locator("#cadence-words-0")
            await expect(words).to_have_text("every month")  # the blank row's cadence
            await first.get_by_label("Cadence (RRULE)").fill("FREQ=DAILY")
            await expect(words).to_have_text(
                "cadence FREQ=DAILY is too frequent: activities recur weekly, monthly or yearly"
            )
            await first.get_by_label("Cadence (RRULE)").fill("FREQ=YEARLY")
            await expect(words).to_have_text("every year")
            await first.get_by_label("Effort (hours)").fill("8")
            suggested = page.locator("#suggested strong")
            await expect(suggested).to_have_text("116.67 USD")  # as typed, not saved: 8 h × 175 ÷ 12
            await expect(page.locator("#contract-value")).to_have_text(
                "8.00 hours a year in all; contract value 18,500.00 USD."
            )

            await page.get_by_role("button", name="Add an activity").click()
            second = page.locator("#activity-1")
            await expect(second).to_be_visible()
            await expect(first.get_by_label("Name")).to_have_value("IT roadmap")  # the form came back as typed
            await second.get_by_label("Name").fill("QBR")
            await second.get_by_label("Category").select_option("account_management")
            await second.get_by_label("Role").select_option("account_manager")
            await second.get_by_label("Cadence (RRULE)").fill("FREQ=WEEKLY;BYDAY=MO")
            await expect(page.locator("#cadence-words-1")).to_have_text("every week on Monday")
            await second.get_by_label("Cadence (RRULE)").fill("FREQ=MONTHLY;INTERVAL=3")
            await expect(page.locator("#cadence-words-1")).to_have_text("every 3 months")
            await second.get_by_label("Effort (hours)").fill("2.5")
            await expect(suggested).to_have_text("220.83 USD")  # (8 h × 175 + 10 h × 125) ÷ 12, before saving
            await page.get_by_role("button", name="Save draft").click()

            await expect(page.locator("#package-name")).to_have_text("vCIO Core")
            await expect(page.locator("#package-state")).to_have_text("Version 1 draft")
            await expect(suggested).to_have_text("220.83 USD")  # (8 h × 175 + 10 h × 125) ÷ 12
            await page.get_by_label("Hourly rate: vCIO").fill("200.00")
            await expect(suggested).to_have_text("237.50 USD")  # (8 h × 200 + 10 h × 125) ÷ 12, through htmx
            await page.get_by_label("Hourly rate: vCIO").fill("")
            await page.locator("#activity-1").get_by_label("Effort (hours)").fill("3")
            await expect(suggested).to_have_text("241.67 USD")  # (8 h × 175 + 12 h × 125) ÷ 12, not yet saved
            await page.locator("#activity-1").get_by_label("Effort (hours)").fill("2.5")
            await expect(suggested).to_have_text("220.83 USD")

            await page.get_by_role("button", name="Publish version 1").click()
            await expect(page.locator("#package-state")).to_contain_text("Version 1 published")
            await page.get_by_label("Monthly price").fill("1750.00")
            await page.locator("#activity-1").get_by_label("Effort (hours)").fill("3")
            await page.get_by_role("button", name="Save draft").click()
            await expect(page.locator("#package-state")).to_have_text("Version 2 draft")
            await page.get_by_role("button", name="Publish version 2").click()
            await expect(page.locator("#package-state")).to_contain_text("Version 2 published")

            await page.get_by_role("button", name="Compare").click()
            await expect(page.get_by_role("heading", name="Version 1 and version 2")).to_be_visible()
            price = page.locator('#diff-fields tr[data-field="monthly_price"]')
            await expect(price).to_have_class("changed")
            await expect(price.locator("td")).to_have_text(["1500.00", "1750.00"])
            await expect(page.locator("#diff-fields tr.changed")).to_have_count(
                3
            )  # the price, the contract value, the hours
            await expect(page.locator('#diff-activities tr[data-activity="QBR"]')).to_have_class("changed")
            await expect(page.locator('#diff-activities tr[data-activity="IT roadmap"]')).to_have_class("same")
            await expect(page.locator("#diff-activities div.changed dd")).to_have_text(["2.50", "3.00"])
            assert errors == []  # no CSP violation, no script error

            # axe-core on each catalog page: no serious or critical violation
            package = page.url.split("/catalog/")[1].split("/")[0]
            found: dict[str, list[str]] = {}
            for path in ("/catalog", "/catalog/new", f"/catalog/{package}", f"/catalog/{package}/diff?left=2&right=1"):
                await page.goto(console_server + path)
                await page.evaluate(AXE)
                found[path] = await page.evaluate(RUN)
            assert found == dict.fromkeys(found, [])
        finally:
            await browser.close()
