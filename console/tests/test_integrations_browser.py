"""The integrations page in Debian's chromium: add a webhook endpoint, see its secret once, and never again."""

from __future__ import annotations

from typing import Any

from playwright.async_api import async_playwright, expect

from console.tests.conftest import ARGS, CHROMIUM
from console.tests.test_billing_browser import violations
from console.tests.test_integrations import receiver
from vcio_console.signin import dev_link
from vcio_shared.testing import TEST_SECRET


async def test_add_an_endpoint_and_see_its_secret_once(console_server: str, platform: Any) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            with receiver() as hook:
                page = await browser.new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                await page.goto(dev_link(TEST_SECRET, "console-integrations-browser", console_server))
                await page.get_by_role("link", name="Integrations").click()
                await expect(page.get_by_text("No webhook endpoints yet.")).to_be_visible()
                await page.get_by_label("URL (https)").fill(hook.url)
                await page.get_by_label("Description").fill("Accounting")
                await page.get_by_label("Event types").fill("vcio.integrations.ping")
                await page.get_by_role("button", name="Add the endpoint").click()
                await expect(page.get_by_role("heading", name="Endpoint added")).to_be_visible()
                secret = await page.get_by_label("Signing secret").input_value()
                assert secret.startswith("whsec_") and len(secret) == 50
                assert await violations(page) == []
                await page.get_by_role("link", name="Go to the endpoint").click()
                await expect(page.locator("#endpoint-url")).to_have_text(hook.url)
                assert secret not in await page.content()
                await page.get_by_role("button", name="Send a test ping").click()
                await expect(page.locator('#deliveries tr[data-status="delivered"]')).to_have_count(1, timeout=30_000)
                assert await violations(page) == []
                await page.get_by_role("navigation", name="Console").get_by_role("link", name="Integrations").click()
                await expect(page.locator("#endpoints tbody tr")).to_have_count(1)
                assert secret not in await page.content()
                assert await violations(page) == []
                assert len(hook.events) == 1 and hook.events[0]["type"] == "vcio.integrations.ping"
                assert errors == []
        finally:
            await browser.close()
