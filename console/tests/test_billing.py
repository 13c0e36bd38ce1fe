"""The billing page on the real platform: a dry run that writes nothing, a real run and its progress stream, the
invoices with their filters, a payment, a credit note and a void (and the service's refusals on the forms), and
the MRR movements. Each test has its own tenant, made through the public APIs."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from dateutil.relativedelta import relativedelta

from console.tests.conftest import another_session, signed_in
from console.tests.practice import _accepted, _package, activity, ok
from vcio_shared.settings import SERVICES
from vcio_shared.testing import TEST_SECRET, auth, eventually

TODAY = dt.datetime.now(dt.UTC).date()
START = TODAY.replace(day=1) - relativedelta(months=2)  # three months billed by a run today: two past, this one
MONTHS = [START + relativedelta(months=i) for i in range(3)]
FABRIKAM = "Fabrikam <i>Labs</i>"
ZERO = "01a2270e-c968-703b-963c-552b528b6b45"  # an id no tenant has
CARE = {
    "name": "Managed vCIO Care",
    "currency": "USD",
    "monthly_price": "1200.00",
    "billing_cycle": "monthly",
    "term_months": 12,
    "onboarding_fee": "300.00",
    "activities": [activity("Quarterly business review", "FREQ=MONTHLY;INTERVAL=3", "account_manager")],
}


@dataclass
class Billed:
    tenant: str
    client: dict[str, Any]
    agreement: dict[str, Any]
    invoices: list[dict[str, Any]]  # by period start, once billed


async def billing_tenant(urls: dict[str, str], tenant: str, *, run: bool) -> Billed:
    """One client on a 1,200.00 USD monthly agreement (a 300.00 onboarding fee) from START; billed today if `run`."""
    h = auth(tenant)
    async with httpx.AsyncClient(timeout=60) as http:
        ok(await http.put(f"{urls['billing']}/v1/settings", json={"auto_run_enabled": False}, headers=h))
        package = await _package(http, urls, h, CARE)
        body = {"name": FABRIKAM, "email": "ap@fabrikam.example", "timezone": "UTC", "currency": "USD"}
        client = ok(await http.post(f"{urls['proposals']}/v1/clients", json=body, headers=h), 201)
        agreement = await _accepted(http, urls, h, client["id"], package, START)
        invoices: list[dict[str, Any]] = []
        if run:
            ok(await http.post(f"{urls['billing']}/v1/billing-runs", json={"as_of": TODAY.isoformat()}, headers=h), 201)
            r = await http.get(f"{urls['billing']}/v1/invoices", params={"client_id": client["id"]}, headers=h)
            invoices = sorted(ok(r)["items"], key=lambda i: i["period_start"])
    return Billed(tenant, client, agreement, invoices)


def urls_of(platform: Any) -> dict[str, str]:
    return {s: platform.url(s) for s in SERVICES}


@pytest.fixture(scope="module")
def unbilled(platform: Any) -> Billed:
    return asyncio.run(billing_tenant(urls_of(platform), "console-billing-run", run=False))


@pytest.fixture(scope="module")
def billed(platform: Any) -> Billed:
    return asyncio.run(billing_tenant(urls_of(platform), "console-billing-invoices", run=True))


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)[1]  # type: ignore[index]


def key(page: str, form_id: str) -> str:
    form = page.split(f'id="{form_id}"')[1]
    return re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', form)[1]  # type: ignore[index]


def number(n: int) -> str:
    return f"INV-{TODAY.year}-{n:06d}"


async def test_a_dry_run_previews_and_writes_nothing_then_a_run_bills_and_streams_its_progress(
    console: httpx.AsyncClient, unbilled: Billed
) -> None:
    http = signed_in(console, unbilled.tenant)
    r = await http.get("/billing/preview", params={"preview": TODAY.isoformat()})
    assert r.status_code == 200, r.text
    preview = r.text
    assert '<dd class="preview-count">3</dd>' in preview
    assert "<div><dt>Total (USD)</dt><dd>3,900.00 USD</dd></div>" in preview
    rows = re.findall(
        r"<tr><td>(INV-[0-9-]+)</td><td>([^<]*)</td><td class=\"date\">([0-9-]+) – ([0-9-]+)</td>", preview
    )
    last_days = [(m + relativedelta(months=1) - dt.timedelta(days=1)).isoformat() for m in MONTHS]
    name = "Fabrikam &lt;i&gt;Labs&lt;/i&gt;"
    assert rows == [(number(i + 1), name, MONTHS[i].isoformat(), last_days[i]) for i in range(3)]
    assert "Onboarding" in preview or "onboarding" in preview.lower()
    assert ">1,500.00 USD</td></tr>" in preview and preview.count(">1,200.00 USD</td></tr>") == 2
    # the page's form without scripts: the same preview inside the whole page; and still no run, no invoice
    page = (await http.get("/billing", params={"preview": TODAY.isoformat()})).text
    assert '<dd class="preview-count">3</dd>' in page
    assert "<p>No billing run yet.</p>" in page and "<p>No invoices.</p>" in page
    assert (await http.get("/billing/preview", params={"preview": "2027-02-30"})).status_code == 422

    # the real run: no CSRF token, no run; then a run, and a double submit of the same form is the same run
    form = {"as_of": TODAY.isoformat(), "idempotency_key": key(page, "run-form")}
    assert (await http.post("/billing/runs", data=form)).status_code == 403
    first = await http.post("/billing/runs", data={**form, "csrf_token": csrf(page)})
    again = await http.post("/billing/runs", data={**form, "csrf_token": csrf(page)})
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    run_url = first.headers["location"]
    assert re.fullmatch(r"/billing/runs/[0-9a-f-]{36}", run_url)

    async def finished() -> bool:
        return "run-status" in (p := (await http.get(run_url)).text) and '<dd class="run-status">done</dd>' in p

    await eventually(finished, timeout=30)
    events = await http.get(f"{run_url}/events")
    assert events.status_code == 200 and events.headers["content-type"].startswith("text/event-stream")
    assert events.text.startswith("event: done\ndata: ")
    assert 'data:   <div><dt>Agreements billed</dt><dd class="run-processed">1 of 1</dd></div>' in events.text
    assert '<dd class="run-invoices">3</dd>' in events.text
    assert '<dd class="run-total" data-currency="USD">3,900.00 USD</dd>' in events.text
    run_page = (await http.get(run_url)).text
    assert "Invoices of this run (3)</h2>" in run_page
    assert [m for m in re.findall(r">(INV-[0-9-]+)</a>", run_page)] == [number(1), number(2), number(3)]
    assert f'data-events="{run_url}/events"' in run_page

    # the billing page lists the run and its invoices, newest first, with filters
    page = (await http.get("/billing")).text
    assert f'<td><a href="{run_url}">{TODAY.isoformat()}</a></td><td><span class="state done">completed</span>' in page
    assert re.findall(r'<tr data-invoice="[^"]+"><td><a [^>]+>(INV-[0-9-]+)</a>', page) == [
        number(3),
        number(2),
        number(1),
    ]
    this_month = (await http.get("/billing", params={"period": TODAY.strftime("%Y-%m")})).text
    assert re.findall(r'<tr data-invoice="[^"]+"><td><a [^>]+>(INV-[0-9-]+)</a>', this_month) == [number(3)]
    assert "No invoices match." in (await http.get("/billing", params={"status": "paid"})).text
    assert (await http.get("/billing", params={"period": "2026-13"})).status_code == 422
    by_client = (await http.get("/billing", params={"client": unbilled.client["id"]})).text
    assert f"<h3>Balance of {name}</h3>" in by_client
    assert '<td class="num invoiced">3,900.00 USD</td><td class="num paid">0.00 USD</td>' in by_client
    assert '<td class="num balance-due">3,900.00 USD</td><td class="num overdue">0.00 USD</td>' in by_client
    # MRR movements: the new agreement in its month
    assert f'<tr><td>{START.strftime("%Y-%m")}</td><td>USD</td><td class="num">1,200.00 USD</td>' in page


async def test_payment_credit_note_and_void_and_the_services_refusals(
    console: httpx.AsyncClient, billed: Billed
) -> None:
    http = signed_in(console, billed.tenant)
    first, second, third = billed.invoices
    assert [i["total"] for i in billed.invoices] == ["1500.00", "1200.00", "1200.00"]
    url = f"/billing/invoices/{first['id']}"
    page = (await http.get(url)).text
    assert '<td class="num" id="invoice-due">1,500.00 USD</td>' in page
    assert 'id="pay-amount" name="amount" type="text" inputmode="decimal" value="1500.00"' in page
    assert '<td class="num balance-due">3,900.00 USD</td>' in page
    pay = {"amount": "1500.00", "paid_on": TODAY.isoformat(), "reference": "ACH 2291", "csrf_token": csrf(page)}
    pay["idempotency_key"] = key(page, "payment-form")
    for _ in range(2):  # a double submit records one payment
        r = await http.post(f"{url}/payments", data=pay)
        assert r.status_code == 303 and r.headers["location"] == url
    page = (await http.get(url)).text
    assert '<span class="state paid" id="invoice-status">paid</span>' in page
    assert '<td class="num" id="invoice-paid">1,500.00 USD</td>' in page
    assert '<td class="num paid">1,500.00 USD</td>' in page and '<td class="num balance-due">2,400.00 USD</td>' in page
    assert 'id="payment-form"' not in page and 'id="void-form"' not in page  # paid: a credit note only

    # an overpayment: billing's 422, shown by the form with the values kept, nothing recorded
    url2 = f"/billing/invoices/{second['id']}"
    page = (await http.get(url2)).text
    over = {"amount": "5000.00", "paid_on": TODAY.isoformat(), "reference": "too much", "csrf_token": csrf(page)}
    r = await http.post(f"{url2}/payments", data={**over, "idempotency_key": key(page, "payment-form")})
    assert r.status_code == 422
    assert '<p class="banner bad" id="payment-error" role="alert">' in r.text
    assert 'value="5000.00" required aria-invalid="true" aria-describedby="payment-error"' in r.text
    assert 'id="pay-reference" name="reference" type="text" maxlength="200" value="too much"' in r.text
    # a credit note of 100.00 on the second invoice
    credit = {"amount": "100.00", "reason": "Outage on the 3rd", "csrf_token": csrf(page)}
    r = await http.post(f"{url2}/credit-notes", data={**credit, "idempotency_key": key(page, "credit-form")})
    assert r.status_code == 303
    page = (await http.get(url2)).text
    assert '<td class="num" id="invoice-credited">100.00 USD</td>' in page
    assert '<td class="num" id="invoice-due">1,100.00 USD</td>' in page
    assert (
        f'<tr><td>CN-{TODAY.year}-000001</td><td class="date">{TODAY.isoformat()}</td><td>Outage on the 3rd</td>'
        in page
    )
    # a credit beyond the invoice's total: refused, the detail shown by the credit form
    r = await http.post(f"{url2}/credit-notes", data={**credit, "amount": "2000.00", "idempotency_key": "k-big"})
    assert r.status_code == 422 and 'id="credit-error" role="alert">' in r.text and "at most 1100.00" in r.text
    # void the third; a paid invoice cannot be voided (billing's 409, shown on the page)
    page = (await http.get(f"/billing/invoices/{third['id']}")).text
    r = await http.post(
        f"/billing/invoices/{third['id']}/void", data={"csrf_token": csrf(page), "idempotency_key": "v1"}
    )
    assert r.status_code == 303
    page = (await http.get(f"/billing/invoices/{third['id']}")).text
    assert '<span class="state void" id="invoice-status">void</span>' in page
    assert (
        '<td class="num balance-due">1,100.00 USD</td>' in page
        and '<td class="num hide-sm credited">100.00 USD</td>' in page
    )
    r = await http.post(f"{url}/void", data={"csrf_token": csrf(page), "idempotency_key": "v2"})
    assert r.status_code == 409 and 'id="void-error" role="alert">' in r.text
    # the list, filtered by state
    voided = (await http.get("/billing", params={"status": "void"})).text
    assert re.findall(r'<tr data-invoice="([^"]+)">', voided) == [third["id"]]
    # a run on a day that does not exist: billing's 422 by the run form, the day kept, no run made
    r = await http.post("/billing/runs", data={"as_of": "2027-02-30", "csrf_token": csrf(voided)})
    assert r.status_code == 422 and '<p class="banner bad" id="run-error" role="alert">' in r.text
    assert 'name="as_of" type="date" value="2027-02-30" required aria-invalid="true"' in r.text
    assert r.text.count('<tr><td><a href="/billing/runs/') == 1  # the fixture's one run


async def test_another_tenants_invoices_and_runs_are_404(console: httpx.AsyncClient, billed: Billed) -> None:
    http = signed_in(console, billed.tenant)
    run_link = re.search(r'<a href="(/billing/runs/[0-9a-f-]+)">', (await http.get("/billing")).text)[1]  # type: ignore[index]
    invoice = billed.invoices[0]["id"]
    async with another_session(console, "console-billing-stranger") as other:
        for path in (f"/billing/invoices/{invoice}", run_link, f"{run_link}/events", "/billing/invoices/not-an-id"):
            assert (await other.get(path)).status_code == 404, path
        page = (await other.get("/billing")).text
        token = csrf(page)
        r = await other.post(f"/billing/invoices/{invoice}/void", data={"csrf_token": token, "idempotency_key": "x"})
        assert r.status_code == 404
        assert "<p>No invoices.</p>" in page and "<p>No billing run yet.</p>" in page


@pytest.mark.parametrize(
    "path", ["/billing", "/billing/preview?preview=2026-01-01", f"/billing/invoices/{ZERO}", f"/billing/runs/{ZERO}"]
)
async def test_no_cookie_no_billing_page(console: httpx.AsyncClient, path: str) -> None:
    r = await console.get(path)
    assert (r.status_code, r.headers["location"]) == (303, "/signin")
    form = await console.post("/billing/runs", data={"as_of": "2026-01-01"}, headers={"accept": "text/html"})
    assert form.status_code == 401


async def test_html_in_a_client_name_is_text_on_the_billing_pages(console: httpx.AsyncClient, practice: Any) -> None:
    http = signed_in(console, practice.tenant)
    northwind = practice.clients["northwind"]["id"]
    escaped = "Northwind &lt;b&gt;Dental&lt;/b&gt; &amp; Co"
    page = (await http.get("/billing", params={"client": northwind})).text
    assert f'<option value="{northwind}" selected>{escaped}</option>' in page
    assert f"<h3>Balance of {escaped}</h3>" in page
    invoice = re.search(r'<a href="(/billing/invoices/[0-9a-f-]{36})">', page)[1]  # type: ignore[index]
    for text in (page, (await http.get(invoice)).text, (await http.get("/billing/preview?preview=2020-01-01")).text):
        assert "<b>Dental</b>" not in text
    assert escaped in (await http.get(invoice)).text


class Connected:
    """The one thing progress_events asks of its request: whether the browser has gone."""

    async def is_disconnected(self) -> bool:
        return False


async def test_the_progress_stream_shows_a_running_run_then_done(platform: Any) -> None:
    """From the run as billing answered its start (running, 0 of 1), the stream polls billing until it is done."""
    from vcio_console.api import Api
    from vcio_console.pages.billing import progress_events
    from vcio_console.signin import User
    from vcio_shared.auth import Principal, issue_token

    billed = await billing_tenant(urls_of(platform), "console-billing-stream", run=False)
    token = issue_token(TEST_SECRET, tenant_id=billed.tenant)
    principal = Principal(sub="tester", tenant_id=billed.tenant, scopes=frozenset())
    api = Api(urls_of(platform), 30)
    try:
        calls = api.as_user(User(principal=principal, token=token, csrf=""))
        started = await calls.send(
            "POST", "billing", "/v1/billing-runs", {"as_of": TODAY.isoformat(), "background": True}
        )
        assert (started["status"], started["agreements_total"], started["agreements_processed"]) == ("running", 1, 0)
        events = [e async for e in progress_events(Connected(), calls, started)]  # type: ignore[arg-type]
    finally:
        await api.close()
    kinds = [e.split("\n", 1)[0] for e in events if not e.startswith(":")]
    assert kinds[0] == "event: progress" and kinds[-1] == "event: done" and kinds.count("event: done") == 1
    assert '<dd class="run-status">running</dd>' in events[0] and '"run-processed">0 of 1</dd>' in events[0]
    assert '<dd class="run-status">done</dd>' in events[-1] and '"run-processed">1 of 1</dd>' in events[-1]
    assert '<dd class="run-total" data-currency="USD">3,900.00 USD</dd>' in events[-1]
    assert all(line.startswith("data: ") for line in events[-1].split("\n")[1:-2])  # each line of the fragment


async def test_a_draft_is_issued_from_its_page(console: httpx.AsyncClient, platform: Any) -> None:
    urls = urls_of(platform)
    tenant = "console-billing-drafts"
    async with httpx.AsyncClient(timeout=30) as api:
        ok(await api.put(f"{urls['billing']}/v1/settings", json={"draft_review": True}, headers=auth(tenant)))
    billed = await billing_tenant(urls, tenant, run=True)
    assert [(i["status"], i["number"]) for i in billed.invoices] == [("draft", None)] * 3
    # The first issue in a billing process starts its PDF child (the mail's attachment), which may take longer
    # than the console waits for an answer (10 s) on a loaded machine: the third draft is issued first, directly.
    async with httpx.AsyncClient(timeout=120) as api:
        third = billed.invoices[2]["id"]
        issued = ok(await api.post(f"{urls['billing']}/v1/invoices/{third}/issue", headers=auth(tenant)))
    assert issued["number"] == number(1)
    http = signed_in(console, tenant)
    url = f"/billing/invoices/{billed.invoices[0]['id']}"
    page = (await http.get(url)).text
    assert '<h1 id="invoice-h">Invoice (draft)</h1>' in page and 'id="payment-form"' not in page
    r = await http.post(f"{url}/issue", data={"csrf_token": csrf(page), "idempotency_key": key(page, "issue-form")})
    assert r.status_code == 303, r.text
    page = (await http.get(url)).text
    assert f'<h1 id="invoice-h">Invoice {number(2)}</h1>' in page and f"issued {TODAY.isoformat()}" in page
    assert f"due {(TODAY + dt.timedelta(days=30)).isoformat()}" in page and 'id="payment-form"' in page
    r = await http.post(f"{url}/issue", data={"csrf_token": csrf(page)})  # issued already: billing's 409
    assert r.status_code == 409 and 'id="issue-error" role="alert">' in r.text
