"""The proposal builder on the real platform: a draft made and priced by the proposals API, changed as you type,
previewed as the client will see it, sent once, and its state as the API tells it. Tenant console-proposals."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from dateutil.relativedelta import relativedelta
from playwright.async_api import async_playwright, expect

from console.tests.conftest import ARGS, CHROMIUM, another_session, signed_in
from console.tests.practice import GROWTH, _package, ok
from console.tests.test_accessibility import AXE
from console.tests.test_accessibility import RUN as AXE_RUN
from vcio_console.signin import dev_link
from vcio_shared.settings import SERVICES
from vcio_shared.testing import TEST_SECRET, auth

TENANT = "console-proposals"
FABRIKAM = "Fabrikam <i>Dental</i>"
ESCAPED = "Fabrikam &lt;i&gt;Dental&lt;/i&gt;"
TODAY = dt.datetime.now(dt.UTC).date()
START = TODAY.replace(day=1) + relativedelta(months=1)  # the builder's default start
HTMX = {"hx-request": "true", "hx-target": "figures"}


async def _shop(urls: dict[str, str]) -> dict[str, str]:
    """Growth (2,000.00 USD a month, 12 months, 750.00 onboarding) published, and two clients."""
    h = auth(TENANT)
    async with httpx.AsyncClient(timeout=60) as http:
        package = await _package(http, urls, h, GROWTH)
        made = {"package": package}
        for key, name, email in (
            ("fabrikam", FABRIKAM, "desk@fabrikam.example"),
            ("tailspin", "Tailspin", "t@t.example"),
        ):
            body = {"name": name, "email": email, "timezone": "UTC", "currency": "USD"}
            made[key] = ok(await http.post(f"{urls['proposals']}/v1/clients", json=body, headers=h), 201)["id"]
        # A send renders the PDF it mails; a process's first render imports WeasyPrint (seconds on a loaded machine,
        # near the console's 10 s API timeout), so it is done once here, outside the tests' sends.
        body = {"client_id": made["tailspin"], "package_id": package, "start_date": START.isoformat()}
        warm = ok(await http.post(f"{urls['proposals']}/v1/proposals", json=body, headers=h), 201)
        r = await http.get(f"{urls['proposals']}/v1/proposals/{warm['id']}/pdf", headers=h)
        assert r.status_code == 200, r.text
    return made


@pytest.fixture(scope="module")
def shop(platform: Any) -> dict[str, str]:
    return asyncio.run(_shop({s: platform.url(s) for s in SERVICES}))


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


async def _draft(http: httpx.AsyncClient, shop: dict[str, str], client: str = "fabrikam") -> str:
    """A draft made through the builder's first form, as a person would submit it: its id."""
    form = (await http.get("/proposals/new")).text
    key = form.split('name="idempotency_key" value="')[1].split('"')[0]
    body = {
        "csrf_token": _csrf(form),
        "idempotency_key": key,
        "client_id": shop[client],
        "package_id": shop["package"],
        "start_date": START.isoformat(),
    }
    r = await http.post("/proposals/new", data=body)
    assert r.status_code == 303, r.text
    again = await http.post("/proposals/new", data=body)  # a double submit: the same draft, not a second
    assert again.headers["location"] == r.headers["location"]
    return r.headers["location"].rsplit("/", 1)[1]


def _figures(page: str) -> dict[str, str]:
    totals = page.split('<dl class="totals" id="proposal-totals">')[1].split("</dl>")[0]
    return {k: totals.split(f'<dd class="{k}">')[1].split("<")[0] for k in ("monthly", "first-invoice", "term-total")}


def _schedule(page: str) -> list[str]:
    items = page.split('<ul id="schedule-summary">')[1].split("</ul>")[0]
    return [li.split(">", 1)[1].split("</li>")[0] for li in items.split("<li")[1:]]


async def test_the_new_form_offers_the_clients_and_the_published_package(
    console: httpx.AsyncClient, shop: dict[str, str]
) -> None:
    page = (await signed_in(console, TENANT).get("/proposals/new")).text
    assert f'<option value="{shop["fabrikam"]}">{ESCAPED} (USD)</option>' in page
    assert f'<option value="{shop["package"]}">vCIO Growth v1 · 2,000.00 USD a month, 12 months</option>' in page
    assert f'name="start_date" type="date" value="{START}"' in page


async def test_a_draft_is_priced_by_the_api_and_follows_what_is_typed(
    console: httpx.AsyncClient, shop: dict[str, str]
) -> None:
    http = signed_in(console, TENANT)
    pid = await _draft(http, shop)
    page = (await http.get(f"/proposals/{pid}")).text
    assert f'<h1 id="proposal-title">Proposal for {ESCAPED}</h1>' in page
    assert '<span class="state draft">draft</span>' in page
    # from the 1st: a whole first month plus onboarding; the term is 12 x 2,000.00 + 750.00
    assert _figures(page) == {"monthly": "2,000.00 USD", "first-invoice": "2,750.00 USD", "term-total": "24,750.00 USD"}
    assert _schedule(page) == [
        "1 × IT strategy and roadmap (annually)",
        "4 × Quarterly business review (quarterly)",
        "2 × Renewal planning (every 11 months)",
    ]
    # as you type: 10 % off, Renewal planning offered as an option at 100.00, a free option at 150.00
    form = {
        "csrf_token": _csrf(page),
        "start_date": START.isoformat(),
        "discount_percent": "10",
        "discount_reason": "Two-year referral",
        "option-0-description": "Renewal planning",
        "option-0-kind": "recurring",
        "option-0-amount": "100.00",
        "option-1-description": "Backup restore test",
        "option-1-kind": "one_time",
        "option-1-amount": "150.00",
    }
    figures = await http.post(f"/proposals/{pid}", data=form, headers=HTMX)
    assert figures.status_code == 200 and "<html" not in figures.text and figures.text.startswith('<div id="figures"')
    # 1,800.00 a month (options count once the client ticks them); 1,800.00 + 750.00; 12 x 1,800.00 + 750.00
    assert _figures(figures.text) == {
        "monthly": "1,800.00 USD",
        "first-invoice": "2,550.00 USD",
        "term-total": "22,350.00 USD",
    }
    assert _schedule(figures.text) == [
        "1 × IT strategy and roadmap (annually)",
        "4 × Quarterly business review (quarterly)",
        '2 × Renewal planning (every 11 months) <span class="muted">(optional)</span>',
    ]
    api = (await http.get(f"/proposals/{pid}")).text  # what was typed is the draft now, as the API holds it
    assert 'name="discount_percent" type="text" inputmode="decimal" value="10.00"' in api
    assert 'name="option-0-description" type="text" value="Renewal planning"' in api
    assert 'name="option-1-description" type="text" value="Backup restore test"' in api
    assert '<option value="one_time" selected>once</option>' in api
    # a refused change keeps the last figures, says why, and is a 200 so htmx shows it
    bad = await http.post(f"/proposals/{pid}", data={**form, "discount_percent": "150"}, headers=HTMX)
    assert bad.status_code == 200 and '<p class="banner bad" role="alert" id="figures-error">Not saved: ' in bad.text
    assert _figures(bad.text)["monthly"] == "1,800.00 USD"
    # without script: the same form posts and redirects; refused, the page again with what was typed, 422
    plain = await http.post(f"/proposals/{pid}", data={**form, "discount_percent": "20"})
    assert (plain.status_code, plain.headers["location"]) == (303, f"/proposals/{pid}")
    assert _figures((await http.get(f"/proposals/{pid}")).text)["monthly"] == "1,600.00 USD"
    refused = await http.post(f"/proposals/{pid}", data={**form, "discount_percent": "abc"})
    assert refused.status_code == 422 and 'id="form-error"' in refused.text
    assert 'name="discount_percent" type="text" inputmode="decimal" value="abc"' in refused.text


async def test_send_once_copy_the_link_and_follow_the_state(
    console: httpx.AsyncClient, platform: Any, shop: Any
) -> None:
    http = signed_in(console, TENANT)
    pid = await _draft(http, shop, "tailspin")
    page = (await http.get(f"/proposals/{pid}")).text
    preview = await http.get(f"/proposals/{pid}/preview")
    assert (preview.status_code, preview.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert "<h1>Proposal for Tailspin</h1>" in preview.text and "<form" not in preview.text
    assert f'<iframe class="proposal-preview" src="/proposals/{pid}/preview?v=' in page
    key = page.split('id="send-form">')[1].split('name="idempotency_key" value="')[1].split('"')[0]
    body = {"csrf_token": _csrf(page), "idempotency_key": key}
    first = await http.post(f"/proposals/{pid}/send", data=body)
    twice = await http.post(f"/proposals/{pid}/send", data=body)  # a double click: one send, the same answer
    assert (first.status_code, twice.status_code) == (303, 303), first.text
    async with httpx.AsyncClient() as api:
        proposal = ok(await api.get(f"{platform.url('proposals')}/v1/proposals/{pid}", headers=auth(TENANT)))
    assert proposal["status"] == "sent"
    sent = (await http.get(f"/proposals/{pid}")).text
    assert '<span class="state sent">sent</span>' in sent and 'id="send-form"' not in sent
    assert f'<input id="client-link" type="text" value="{proposal["accept_url"]}" readonly>' in sent
    assert f" · valid until {proposal['valid_until']}" in sent
    again = await http.post(f"/proposals/{pid}/send", data={**body, "idempotency_key": str(uuid.uuid4())})
    assert again.status_code == 409 and 'id="form-error"' in again.text  # sent already: the API says so
    # the preview is no view; the client's own opening of the link is
    await http.get(f"/proposals/{pid}/preview")
    assert '<span class="state sent">sent</span>' in (await http.get(f"/proposals/{pid}")).text
    async with httpx.AsyncClient() as browser:
        assert (await browser.get(proposal["accept_url"])).status_code == 200
    assert '<span class="state viewed">viewed</span>' in (await http.get(f"/proposals/{pid}")).text
    listed = (await http.get("/proposals", params={"status": "viewed"})).text
    assert listed.count("<tr data-status=") == 1
    assert f'<tr data-status="viewed"><td><a href="/proposals/{pid}">Tailspin</a></td>' in listed


async def test_the_list_shows_each_state_and_another_tenant_sees_nothing(
    console: httpx.AsyncClient, shop: dict[str, str]
) -> None:
    http = signed_in(console, TENANT)
    pid = await _draft(http, shop)
    page = (await http.get("/proposals", params={"status": "draft"})).text
    assert (
        f'<td><a href="/proposals/{pid}">{ESCAPED}</a></td><td>vCIO Growth <span class="muted">v1</span></td>' in page
    )
    assert '<td class="num">2,000.00 USD</td><td class="num hide-sm">24,750.00 USD</td>' in page
    assert "No proposal is declined." in (await http.get("/proposals", params={"status": "declined"})).text
    refused = await http.post(
        "/proposals/new", data={"csrf_token": _csrf(page), "client_id": "", "package_id": shop["package"]}
    )
    assert refused.status_code == 422 and 'id="form-error"' in refused.text
    assert f'<option value="{shop["package"]}" selected>' in refused.text  # what was picked is kept
    async with another_session(console, "console-proposals-other") as other:
        assert (await other.get(f"/proposals/{pid}")).status_code == 404
        assert (await other.get(f"/proposals/{pid}/preview")).status_code == 404
        assert "No proposals yet." in (await other.get("/proposals")).text


async def test_build_and_send_a_proposal_in_chromium(console_server: str, shop: dict[str, str]) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(dev_link(TEST_SECRET, TENANT, console_server))
            await page.get_by_role("link", name="Proposals").click()
            await page.get_by_role("link", name="New proposal").click()
            await page.get_by_label("Client").select_option(label=f"{FABRIKAM} (USD)")
            await page.get_by_label("Package").select_option(value=shop["package"])
            await page.get_by_role("button", name="Create the draft").click()
            await expect(page.locator("#proposal-status .state")).to_have_text("draft")
            await expect(page.locator("dd.monthly")).to_have_text("2,000.00 USD")
            await page.get_by_label("Discount on recurring items (%)").fill("25")  # htmx: the figures follow
            await expect(page.locator("dd.monthly")).to_have_text("1,500.00 USD")
            await expect(page.locator("dd.term-total")).to_have_text("18,750.00 USD")
            await expect(page.locator("dd.first-invoice")).to_have_text("2,250.00 USD")
            preview = page.frame_locator("iframe.proposal-preview")
            await expect(preview.locator("#monthly-total")).to_have_text("1,500.00")
            await page.get_by_role("button", name="Send to desk@fabrikam.example").click()
            await expect(page.locator("#proposal-status .state")).to_have_text("sent")
            link = await page.get_by_label("Link to send or paste").input_value()
            assert link.startswith("http") and "/p/" in link
            await expect(page.get_by_role("button", name="Copy the link")).to_be_visible()
            found = {}
            for path in (page.url, f"{console_server}/proposals", f"{console_server}/proposals/new"):
                await page.goto(path)
                await page.evaluate(AXE)  # axe-core, as test_accessibility runs it
                found[path] = await page.evaluate(AXE_RUN)
            assert found == dict.fromkeys(found, [])
            assert errors == []  # no CSP violation, no script error
        finally:
            await browser.close()
