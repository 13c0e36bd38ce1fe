"""The shared roadmap in chromium, served by a real strategy process."""

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from services.strategy.tests.browser import ARGS, CHROMIUM, strategy_server
from services.strategy.tests.support import CLIENT, july_roadmap, name_client
from vcio_shared.testing import auth


async def test_the_client_opens_the_shared_roadmap_on_a_phone(
    database_factory: Callable[[str], str], nats_url: str, streams: None, tmp_path: Path
) -> None:
    with strategy_server(database_factory("strategy"), nats_url, tmp_path) as base:
        async with httpx.AsyncClient(base_url=base, timeout=20) as api:
            await name_client(api, nats_url)
            await july_roadmap(api)
            share = (await api.post(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth())).json()
            assert share["url"].startswith(f"{base}/s/")
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    page = await browser.new_page(viewport={"width": 390, "height": 844})
                    errors: list[str] = []
                    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                    response = await page.goto(share["url"])
                    assert response is not None and response.status == 200
                    assert await page.text_content("h1") == "IT roadmap for Acme Dental"
                    assert await page.text_content("#fy2027-sum") == "14,552.00 USD"
                    assert await page.text_content("#fy2028-sum") == "8,600.00 USD"
                    assert await page.text_content("#fy2029-sum") == "0.00 USD"
                    q1 = await page.text_content("#fy2027-q1")
                    assert q1 is not None and "Firewall refresh" in q1 and "Microsoft 365 migration" in q1
                    assert "14,552.00" in q1
                    # the styles applied under the CSP (nonce'd): the heading is the accent colour, not black
                    colour = await page.eval_on_selector("h2", "e => getComputedStyle(e).color")
                    assert colour == "rgb(23, 69, 127)"
                    wide = await page.evaluate("document.documentElement.scrollWidth")
                    assert wide <= 390  # nothing overflows a phone's width
                    shot = tmp_path / "roadmap.png"
                    await page.screenshot(path=str(shot), full_page=True)
                    assert shot.stat().st_size > 10_000
                    assert errors == []
                    assert (await api.delete(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth())).status_code == 204
                    response = await page.goto(share["url"])
                    assert response is not None and response.status == 404
                    assert await page.text_content("h1") == "Link not found"
                finally:
                    await browser.close()
