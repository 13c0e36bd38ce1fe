"""axe-core (vendored, tests/vendor/axe-core) on every page of the console: no serious or critical violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

from console.tests.conftest import ARGS, CHROMIUM
from vcio_console.signin import dev_link
from vcio_shared.testing import TEST_SECRET

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
    .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
}"""


async def test_no_page_has_a_serious_or_critical_violation(console_server: str, practice: Any) -> None:
    northwind = practice.clients["northwind"]["id"]
    pages = ["/", "/clients", "/clients?email=nobody%40else.example", f"/clients/{northwind}", "/no-such-page"]
    found: dict[str, list[str]] = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{console_server}/signin")  # the sign-in page, before signing in
            await page.evaluate(AXE)  # evaluated over DevTools: the console's CSP does not have to allow it
            found["/signin"] = await page.evaluate(RUN)
            await page.goto(dev_link(TEST_SECRET, practice.tenant, console_server))
            for path in pages:
                await page.goto(console_server + path)
                await page.evaluate(AXE)
                found[path] = await page.evaluate(RUN)
        finally:
            await browser.close()
    assert found == {path: [] for path in ["/signin", *pages]}
