"""The dashboard's exact figures for the known practice (practice.py), read through the console."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from dateutil.relativedelta import relativedelta

from console.tests.conftest import signed_in
from console.tests.practice import MONDAY, START, TODAY


def contoso_billed() -> tuple[int, str]:
    """Contoso's invoices and their total up to today: from this Monday, the first month prorated by days."""
    count, total, start = 0, Decimal(0), MONDAY
    while start <= TODAY:
        month_start = start.replace(day=1)
        next_month = month_start + relativedelta(months=1)
        days = (next_month - month_start).days
        total += (Decimal("1000.00") * (next_month - start).days / days).quantize(Decimal("0.01"), ROUND_HALF_UP)
        count, start = count + 1, next_month
    return count, f"{total:,.2f}"


async def test_revenue_per_currency(console: httpx.AsyncClient, practice: Any) -> None:
    page = (await signed_in(console, practice.tenant).get("/")).text
    assert '<tr data-currency="EUR"><th scope="row">EUR</th><td class="num mrr">1,000.00 EUR</td>' in page
    assert '<td class="num arr">12,000.00 EUR</td><td class="num agreements">1</td>' in page
    assert '<tr data-currency="USD"><th scope="row">USD</th><td class="num mrr">2,000.00 USD</td>' in page
    assert '<td class="num arr">24,000.00 USD</td><td class="num agreements">1</td>' in page


async def test_movements_chart_has_each_new_agreement_in_its_month(console: httpx.AsyncClient, practice: Any) -> None:
    page = (await signed_in(console, practice.tenant).get("/")).text
    usd_month, eur_month = START.strftime("%Y-%m"), MONDAY.strftime("%Y-%m")
    assert page.count("<rect ") == 2
    assert "<h3>EUR</h3>" in page and "<h3>USD</h3>" in page
    assert '<text x="66" y="36" text-anchor="end" class="scale">2000.00</text>' in page  # USD's scale
    assert '<text x="66" y="36" text-anchor="end" class="scale">1000.00</text>' in page  # EUR's
    assert f'data-month="{usd_month}" data-kind="new"><title>{usd_month} new: 2000.00 USD</title>' in page
    assert f'data-month="{eur_month}" data-kind="new"><title>{eur_month} new: 1000.00 EUR</title>' in page
    assert f'<tr><td>{usd_month}</td><td class="num">2000.00</td></tr>' in page
    first = (TODAY.replace(day=1) - relativedelta(months=11)).strftime("%Y-%m")
    assert f'<tr><td>{first}</td><td class="num">0.00</td></tr>' in page  # twelve months, the quiet ones too
    tables = [t.split("</table>")[0] for t in page.split('<table class="movements"')[1:]]
    assert [t.count("<tr><td>") for t in tables] == [12, 12]  # twelve months in each currency's table


async def test_renewals_overdue_and_this_week(console: httpx.AsyncClient, practice: Any) -> None:
    page = (await signed_in(console, practice.tenant).get("/")).text
    northwind, contoso = practice.clients["northwind"]["id"], practice.clients["contoso"]["id"]
    end = (START + relativedelta(months=12)).isoformat()
    assert "Renewals due in 90 days (1)</h2>" in page
    assert (
        f'<tr><td><a href="/clients/{northwind}">Northwind &lt;b&gt;Dental&lt;/b&gt; &amp; Co</a></td>'
        f'<td class="date">{end}</td><td class="num">2,000.00 USD</td><td>automatically</td></tr>'
    ) in page  # proposals renew automatically unless the proposal says otherwise
    qbrs = [a for a in practice.activities["northwind"] if a["name"] == "Quarterly business review"][1:]
    overdue = [(a["due_date"], a["name"], northwind) for a in qbrs]
    if TODAY > MONDAY:  # Contoso's two activities were due this Monday
        overdue += [(MONDAY.isoformat(), n, contoso) for n in ("Kickoff workshop", "Security baseline")]
    assert f"Overdue activities ({len(overdue)})</h2>" in page
    for due, name, client in overdue:
        assert f'<tr><td class="date">{due}</td><td>{name}</td><td><a href="/clients/{client}">' in page
    assert [a["due_date"] for a in qbrs] == sorted(a["due_date"] for a in qbrs) and len(qbrs) == 3
    week_end = MONDAY + dt.timedelta(days=6)
    northwind_this_week = [
        a for a in practice.activities["northwind"] if MONDAY.isoformat() <= a["due_date"] <= week_end.isoformat()
    ]
    ada = 1 + sum(a["role"] == "vcio" for a in northwind_this_week)
    bob = 1 + sum(a["role"] == "account_manager" for a in northwind_this_week)
    assert f"<h3>Ada Vance ({ada})</h3>" in page and f"<h3>Bob Reyes ({bob})</h3>" in page
    assert f"<li>{MONDAY.isoformat()} · Kickoff workshop · " in page
    assert f"<li>{MONDAY.isoformat()} · Security baseline · " in page
    assert "Unassigned" not in page


async def test_last_billing_run(console: httpx.AsyncClient, practice: Any) -> None:
    page = (await signed_in(console, practice.tenant).get("/")).text
    contoso_invoices, contoso_total = contoso_billed()
    assert f"<div><dt>As of</dt><dd>{TODAY.isoformat()}</dd></div>" in page  # the second run, not the first
    assert "<div><dt>Status</dt><dd>completed</dd></div>" in page
    assert f'<dd class="invoices-created">{10 + contoso_invoices}</dd>' in page
    assert f"<div><dt>Billed (EUR)</dt><dd>{contoso_total} EUR</dd></div>" in page
    assert "<div><dt>Billed (USD)</dt><dd>20,000.00 USD</dd></div>" in page
    assert "<div><dt>Agreements</dt><dd>2 of 2</dd></div>" in page
