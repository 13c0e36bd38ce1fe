"""The clients list and one client's page: exact figures for the known practice (practice.py)."""

from __future__ import annotations

from typing import Any

import httpx
from dateutil.relativedelta import relativedelta

from console.tests.conftest import signed_in
from console.tests.practice import START, TODAY

ESCAPED = "Northwind &lt;b&gt;Dental&lt;/b&gt; &amp; Co"


async def test_the_list_shows_every_client_and_finds_one_by_email(console: httpx.AsyncClient, practice: Any) -> None:
    http = signed_in(console, practice.tenant)
    page = (await http.get("/clients")).text
    northwind, contoso = practice.clients["northwind"]["id"], practice.clients["contoso"]["id"]
    assert page.count('<tr><td><a href="/clients/') == 2
    assert (
        f'<tr><td><a href="/clients/{northwind}">{ESCAPED}</a></td><td>office@northwind.example</td>'
        '<td class="hide-sm">UTC</td><td class="hide-sm">USD</td></tr>'
    ) in page
    found = (await http.get("/clients", params={"email": "it@contoso.example"})).text
    assert found.count('<tr><td><a href="/clients/') == 1 and f'href="/clients/{contoso}">Contoso GmbH<' in found
    none = (await http.get("/clients", params={"email": "nobody@else.example"})).text
    assert "No client has the e-mail address nobody@else.example." in none


async def test_an_htmx_search_answers_the_main_fragment_only(console: httpx.AsyncClient, practice: Any) -> None:
    headers = {"hx-request": "true", "hx-target": "main"}
    r = await signed_in(console, practice.tenant).get(
        "/clients", params={"email": "it@contoso.example"}, headers=headers
    )
    assert r.status_code == 200 and "<html" not in r.text and "Contoso GmbH" in r.text


async def test_client_page_contact_agreement_and_proposals(console: httpx.AsyncClient, practice: Any) -> None:
    client = practice.clients["northwind"]
    page = (await signed_in(console, practice.tenant).get(f"/clients/{client['id']}")).text
    assert f'<h1 id="client-name">{ESCAPED}</h1>' in page
    assert '<dd><a href="mailto:office@northwind.example">office@northwind.example</a></dd>' in page
    assert "<div><dt>Time zone</dt><dd>UTC</dd></div>" in page
    assert "<div><dt>Payment terms</dt><dd>30 days</dd></div>" in page
    end = START + relativedelta(months=12)
    assert f'<td class="term">{START} to {end} (12 months, term 1), billed monthly</td>' in page
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
    first_end = (START + relativedelta(months=1)).isoformat()
    assert f"<td>{START} to {first_end}</td>" in rows
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
