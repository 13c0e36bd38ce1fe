"""The client's page in a real browser, served by a real uvicorn process on the test's PostgreSQL and NATS."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from services.proposals.tests.support import ensure_catalog_stream, package_event, publish
from vcio_shared.embedded import free_port, wait_for_port
from vcio_shared.testing import TEST_SECRET, auth, eventually

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def server(database_factory: Callable[[str], str], nats_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PROPOSALS_DATABASE_URL": database_factory("proposals"),
        "NATS_URL": nats_url,
        "VCIO_JWT_SECRET": TEST_SECRET,
        "VCIO_PUBLIC_BASE_URL": base,
        "VCIO_LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "uvicorn.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "proposals.main:build_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, 30, proc)
        yield base
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
        log.close()


# long: one browser journey, from ticking an option to the confirmation page
async def test_a_client_ticks_an_option_accepts_and_sees_the_confirmation(
    server: str, nats_url: str, tmp_path: Path
) -> None:
    await ensure_catalog_stream(nats_url)
    event = package_event()
    await publish(nats_url, event)
    async with httpx.AsyncClient(base_url=server, timeout=20) as api:

        async def package_arrived() -> bool:
            return (await api.get(f"/v1/catalog/packages/{event.data['id']}", headers=auth())).status_code == 200

        await eventually(package_arrived, timeout=30)
        c = (
            await api.post(
                "/v1/clients",
                headers=auth(),
                json={"name": "Acme Dental", "email": "office@acme-dental.example", "timezone": "America/New_York"},
            )
        ).json()
        p = (
            await api.post(
                "/v1/proposals",
                headers=auth(),
                json={
                    "client_id": c["id"],
                    "package_id": event.data["id"],
                    "start_date": "2027-02-01",
                    "optional_items": [{"activity": "NIST cybersecurity review", "amount": "250.00"}],
                },
            )
        ).json()
        sent = (await api.post(f"/v1/proposals/{p['id']}/send", headers=auth())).json()

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                response = await page.goto(sent["accept_url"])
                assert response is not None and response.status == 200
                assert await page.text_content("#monthly-total") == "1,500.00"
                await page.check("#opt-option-1")
                await expect(page.locator("#monthly-total")).to_have_text("1,750.00", timeout=10_000)
                await expect(page.locator("#contract-value")).to_have_text("21,500.00")
                await page.fill("#signer_name", "Dr. Ada Smith")
                await page.fill("#signer_email", "ada@acme-dental.example")
                await page.click("#accept")
                await page.wait_for_selector("#confirmation", timeout=10_000)
                assert "Accepted by Dr. Ada Smith" in (await page.text_content("#confirmation") or "")
                shot = tmp_path / "accepted.png"
                await page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                assert errors == []  # nothing blocked by the CSP
            finally:
                await browser.close()

        got = (await api.get(f"/v1/proposals/{p['id']}", headers=auth())).json()
        assert (got["status"], got["selected_options"], got["monthly_total"]) == ("accepted", ["option-1"], "1750.00")
        assert got["acceptance"]["channel"] == "client_page"
        assert "Chrome" in got["acceptance"]["user_agent"]
