"""The clients list and one client's page: exact figures for the known practice (practice.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from dateutil.relativedelta import relativedelta

from console.tests.conftest import another_session, signed_in
from console.tests.practice import MONDAY, START, TODAY, ok
from vcio_shared.testing import auth

ESCAPED = "Northwind &lt;b&gt;Dental&lt;/b&gt; &amp; Co"


async def test_the_list_shows_every_client_and_finds_them_by_name_or_email(
    console: httpx.AsyncClient, practice: Any
) -> None:
    http = signed_in(console, practice.tenant)
    page = (await http.get("/clients")).text
    northwind, contoso = practice.clients["northwind"]["id"], practice.clients["contoso"]["id"]
    assert page.count('<tr><td><a href="/clients/') == 2
    assert (
        f'<tr><td><a href="/clients/{northwind}">{ESCAPED}</a></td><td>office@northwind.example</td>'
        '<td class="hide-sm">UTC</td><td class="hide-sm">USD</td></tr>'
    ) in page
    for q in ("it@contoso.example", "contoso", "GMBH"):  # the e-mail, a piece of the name, any case
        found = (await http.get("/clients", params={"q": q})).text
        assert found.count('<tr><td><a href="/clients/') == 1 and f'href="/clients/{contoso}">Contoso GmbH<' in found
        assert f'name="q" type="search" value="{q}"' in found
    both = (await http.get("/clients", params={"q": ".EXAMPLE"})).text
    assert both.count('<tr><td><a href="/clients/') == 2
    dental = (await http.get("/clients", params={"q": "<b>dental"})).text  # the name as typed, markup and all
    assert dental.count('<tr><td><a href="/clients/') == 1 and f'href="/clients/{northwind}">{ESCAPED}<' in dental
    none = (await http.get("/clients", params={"q": "nobody"})).text
    assert "<p>No client's name or e-mail holds “nobody”.</p>" in none


async def test_an_htmx_search_answers_the_main_fragment_only(console: httpx.AsyncClient, practice: Any) -> None:
    headers = {"hx-request": "true", "hx-target": "main"}
    r = await signed_in(console, practice.tenant).get("/clients", params={"q": "contoso"}, headers=headers)
    assert r.status_code == 200 and "<html" not in r.text and "Contoso GmbH" in r.text


async def test_a_search_too_long_or_holding_nul_is_refused_not_a_500(console: httpx.AsyncClient, practice: Any) -> None:
    http = signed_in(console, practice.tenant)
    assert (await http.get("/clients", params={"q": "x" * 201})).status_code == 422
    assert (await http.get("/clients", params={"q": "a\x00b"})).status_code == 422


async def test_client_page_contact_agreement_and_proposals(console: httpx.AsyncClient, practice: Any) -> None:
    client = practice.clients["northwind"]
    page = (await signed_in(console, practice.tenant).get(f"/clients/{client['id']}")).text
    assert f'<h1 id="client-name">{ESCAPED}</h1>' in page
    assert '<dd><a href="mailto:office@northwind.example">office@northwind.example</a></dd>' in page
    assert "<div><dt>Time zone</dt><dd>UTC</dd></div>" in page
    assert "<div><dt>Payment terms</dt><dd>30 days</dd></div>" in page
    last_day = START + relativedelta(months=12) - dt.timedelta(days=1)  # billing's end_date is the day after
    assert f'<td class="term">{START} to {last_day} (12 months, term 1), billed monthly</td>' in page
    assert '<td class="mrr">2,000.00 USD</td>' in page
    next_bill = TODAY.replace(day=1) + relativedelta(months=1)
    assert f'<td class="next-bill">{next_bill}</td>' in page
    assert page.count('<table class="agreement"') == 1
    assert (
        '<td><span class="state accepted">accepted</span></td><td class="num">2,000.00 USD</td>'
        '<td class="num hide-sm">24,750.00 USD</td>'
    ) in page
    assert '<td><span class="state draft">draft</span></td>' in page


async def test_client_page_plan_timeline(console: httpx.AsyncClient, practice: Any) -> None:
    client = practice.clients["northwind"]
    page = (await signed_in(console, practice.tenant).get(f"/clients/{client['id']}")).text
    assert '<p id="plan-counts">3 done · 3 overdue · 1 upcoming</p>' in page
    first = practice.activities["northwind"][0]["due_date"]
    assert (
        f'<li class="activity" data-state="done">{first} · IT strategy and roadmap '
        '<span class="state done">done</span> <span class="muted">IT strategy and roadmap delivered</span></li>'
    ) in page
    assert page.count('data-state="overdue"') == 3 and page.count('data-state="upcoming"') == 1
    last = practice.activities["northwind"][-1]
    assert last["name"] == "Renewal planning"
    assert f'<li class="activity" data-state="upcoming">{last["due_date"]} · Renewal planning ' in page


async def test_client_page_invoices_and_balance(console: httpx.AsyncClient, practice: Any) -> None:
    client = practice.clients["northwind"]
    page = (await signed_in(console, practice.tenant).get(f"/clients/{client['id']}")).text
    assert '<p class="balance" data-currency="USD"><strong>Balance due: 20,000.00 USD</strong></p>' in page
    rows = page.split('<table id="invoices">')[1].split("</table>")[0]
    assert rows.count("<tr><td>INV-") == 11
    last = START + relativedelta(months=1) - dt.timedelta(days=1)  # the period [START, START + 1 month)
    assert f'<td class="date">{START} – {last}</td>' in rows
    assert (
        '<span class="state paid">paid</span></td><td class="num">2,750.00 USD</td><td class="num">0.00 USD</td>'
        in rows
    )
    assert (
        rows.count(
            '<span class="state issued">issued</span></td><td class="num">2,000.00 USD</td>'
            '<td class="num">2,000.00 USD</td>'
        )
        == 10
    )


async def test_client_page_delivery_report_for_the_term(console: httpx.AsyncClient, practice: Any) -> None:
    client = practice.clients["northwind"]
    end = START + relativedelta(months=12)
    params = {"report_from": START.isoformat(), "report_to": end.isoformat()}
    page = (await signed_in(console, practice.tenant).get(f"/clients/{client['id']}", params=params)).text
    report = page.split('<dl class="totals" id="report">')[1].split("</dl>")[0]
    for label, value in (
        ("planned", "7"),
        ("delivered", "3"),
        ("overdue", "3"),
        ("outstanding", "4"),
        ("skipped", "0"),
        ("delivery-rate", "42.86 %"),  # 3 of 7
        ("on-time", "0 of 3"),  # completed today, months after they were due
    ):
        assert f'<dd class="{label}">{value}</dd>' in report, label
    assert '<tr><td>account manager</td><td class="num">8.00</td><td class="num">2.00</td></tr>' in page
    assert '<tr><td>vcio</td><td class="num">6.00</td><td class="num">4.00</td></tr>' in page
    first = practice.activities["northwind"][0]["due_date"]
    assert (
        f"<li>{TODAY} · IT strategy and roadmap (2.00 h, due {first}): IT strategy and roadmap delivered</li>" in page
    )
    pdf_link = f"/clients/{client['id']}/delivery-report.pdf?report_from={START}&amp;report_to={end}"
    assert f'<a href="{pdf_link}">' in page


async def test_the_report_defaults_to_this_quarter(console: httpx.AsyncClient, practice: Any) -> None:
    page = (await signed_in(console, practice.tenant).get(f"/clients/{practice.clients['contoso']['id']}")).text
    quarter = dt.date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1)
    after = quarter + relativedelta(months=3)
    assert f'name="report_from" type="date" value="{quarter}"' in page
    assert f'name="report_to" type="date" value="{after}"' in page
    in_quarter = 2 if quarter <= MONDAY else 0  # Contoso's two activities are due this Monday
    assert f'<dd class="planned">{in_quarter}</dd>' in page


async def warm_pdf_renderers(platform: Any, tenant: str, client_id: str, params: dict[str, str]) -> None:
    """Each service's first PDF imports WeasyPrint: seconds on a loaded machine, near the console's 10 s API
    timeout (a 502 once in a full run). Render one of each straight from the services first, with time to spare."""
    period = {"from": params["report_from"], "to": params["report_to"], "format": "pdf"}
    async with httpx.AsyncClient(timeout=120) as api:
        report = await api.get(
            f"{platform.url('scheduler')}/v1/reports/delivery/{client_id}", params=period, headers=auth(tenant)
        )
        invoices = ok(
            await api.get(
                f"{platform.url('billing')}/v1/invoices", params={"client_id": client_id}, headers=auth(tenant)
            )
        )
        invoice = await api.get(
            f"{platform.url('billing')}/v1/invoices/{invoices['items'][0]['id']}/pdf", headers=auth(tenant)
        )
    assert (report.status_code, invoice.status_code) == (200, 200)


async def test_pdfs_come_through_with_the_users_token(console: httpx.AsyncClient, platform: Any, practice: Any) -> None:
    http = signed_in(console, practice.tenant)
    client = practice.clients["northwind"]
    end = START + relativedelta(months=12)
    params = {"report_from": START.isoformat(), "report_to": end.isoformat()}
    await warm_pdf_renderers(platform, practice.tenant, client["id"], params)
    report = await http.get(f"/clients/{client['id']}/delivery-report.pdf", params=params)
    assert (report.status_code, report.headers["content-type"], report.content[:5]) == (
        200,
        "application/pdf",
        b"%PDF-",
    )
    page = (await http.get(f"/clients/{client['id']}")).text
    invoice_id = page.split('<a href="/invoices/')[1].split(".pdf")[0]
    invoice = await http.get(f"/invoices/{invoice_id}.pdf")
    assert (invoice.status_code, invoice.content[:5]) == (200, b"%PDF-")
    async with another_session(console, "console-other") as other:
        assert (await other.get(f"/invoices/{invoice_id}.pdf")).status_code == 404
        assert (await other.get(f"/clients/{client['id']}/delivery-report.pdf")).status_code == 404
    assert (await http.get("/invoices/nope.pdf")).status_code == 404


async def test_a_new_client_has_a_page_before_any_proposal(console: httpx.AsyncClient, platform: Any) -> None:
    tenant = "console-fresh"  # its own tenant: the known practice keeps exactly its two clients
    async with httpx.AsyncClient(timeout=30) as api:
        body = {"name": "Fabrikam Clinic", "email": "desk@fabrikam.example", "timezone": "America/Chicago"}
        new = ok(await api.post(f"{platform.url('proposals')}/v1/clients", json=body, headers=auth(tenant)), 201)
    page = (await signed_in(console, tenant).get(f"/clients/{new['id']}")).text
    assert '<h1 id="client-name">Fabrikam Clinic</h1>' in page and "<dd>America/Chicago</dd>" in page
    for empty in ("No agreement yet.", "No proposals yet.", "No delivery plan yet.", "No invoices yet."):
        assert empty in page
    assert "No delivery plan yet, so nothing to report." in page
