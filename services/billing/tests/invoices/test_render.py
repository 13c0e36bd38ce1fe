"""Invoice documents: the one-statement read equals the ORM composition; HTML and PDF name the MSP (from
proposals' msp_profile.updated, over JetStream), show what was paid, credited and is due, how to pay, and
inclusive end dates."""

import datetime as dt
import re
import subprocess
import uuid

import nats
import sqlalchemy as sa
from billing_helpers import PAID_AT, accept, accepted, agreement_for, invoices, one_invoice, publish, run
from nats.js.api import StreamConfig

from billing.main import build_app
from vcio_shared.events import build
from vcio_shared.ids import uuid7
from vcio_shared.testing import auth, eventually, running


async def test_invoice_html_and_pdf_render(app, client) -> None:
    inv = await one_invoice(app, client)
    html = await client.get(f"/v1/invoices/{inv['id']}/html", headers=auth())
    assert html.status_code == 200
    assert "INV-2027-000001" in html.text and "1500.00" in html.text
    pdf = await client.get(f"/v1/invoices/{inv['id']}/pdf", headers=auth())
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


async def test_invoice_read_in_one_statement_equals_the_orm_composition(app, client) -> None:
    """GET /v1/invoices/{id} is one SQL statement (the API's hottest read); HTML and PDF still compose the
    invoice, its lines and the value delivered through the ORM. Both must say exactly the same, for every
    cycle (the previous period is a month, a quarter or a year) and on the period boundaries."""
    from billing.invoices import render, service

    events = {
        "monthly": accepted(cycle="monthly", one_time=[("Onboarding", "750.00")]),
        "quarterly": accepted(cycle="quarterly", monthly="2000.00", tax_rate="8.25"),
        "annual": accepted(cycle="annual", monthly="3000.00", term=24),
        "yen": accepted(cycle="annual", monthly="250000", currency="JPY", tax_rate="10"),
    }
    for event in events.values():
        assert await accept(app, event)
    await run(client, "2027-01-01")
    await run(client, "2027-04-01")
    await run(client, "2028-01-01")
    # Money in every state the answer formats: partly paid, paid, credited, and zero-digit yen.
    by_period = {(i["currency"], i["period_start"], i["lines"][0]["unit_amount"]): i for i in await invoices(client)}
    partly, paid = by_period[("USD", "2027-01-01", "1500.00")], by_period[("USD", "2027-02-01", "1500.00")]
    assert [ln["description"] for ln in partly["lines"]][1:] == ["Onboarding"]
    credited, yen = by_period[("USD", "2027-01-01", "6000.00")], by_period[("JPY", "2027-01-01", "3000000")]
    for invoice, amount in ((partly, "0.05"), (paid, "1500.00"), (yen, "1")):
        pay = {"amount": amount, "paid_at": PAID_AT, "reference": "ACH"}
        r = await client.post(f"/v1/invoices/{invoice['id']}/payments", json=pay, headers=auth())
        assert r.status_code == 201, r.text
    note = {"amount": "100.10", "reason": "goodwill"}
    r = await client.post(f"/v1/invoices/{credited['id']}/credit-notes", json=note, headers=auth())
    assert r.status_code == 201, r.text
    # Completed activities on the edges of each previous period: the day before it, its first and last days,
    # and the first day of the invoice's own period.
    days = ["2026-12-31", "2027-01-01", "2027-01-31", "2027-02-01", "2027-03-31", "2027-04-01", "2027-12-31"]
    async with app.state.runtime.sessionmaker() as s, s.begin():
        for cycle, event in events.items():
            agreement = await agreement_for(client, event)
            for k, day in enumerate(days):
                await s.execute(
                    sa.text(
                        "INSERT INTO delivered_activities (id, tenant_id, agreement_id, client_id, name, "
                        "completed_at, completed_on, hours_spent) VALUES (:id, 'tenant-a', :a, :c, :n, :at, :on, :h)"
                    ),
                    {
                        "id": uuid7(),
                        "a": agreement["id"],
                        "c": agreement["client_id"],
                        "n": f"{cycle} {day}",
                        "at": dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.UTC),
                        "on": dt.date.fromisoformat(day),
                        "h": f"{k}.50",
                    },
                )
    shown: dict[tuple[str, str], list[str]] = {}
    answers: dict[str, dict] = {}
    for invoice in await invoices(client):
        fast = await client.get(f"/v1/invoices/{invoice['id']}", headers=auth())
        assert fast.status_code == 200 and fast.headers["content-type"] == "application/json"
        async with app.state.runtime.sessionmaker() as s:
            orm = await service.get_invoice(s, "tenant-a", uuid.UUID(invoice["id"]), named=True)
            orm["value_delivered"] = await render.delivered_before(s, "tenant-a", orm)
        assert fast.json() == orm
        answers[invoice["id"]] = fast.json()
        delivered = fast.json()["value_delivered"]
        shown[(invoice["lines"][0]["description"].split(",")[1].split()[0], invoice["period_start"])] = [
            a["completed_on"] for a in delivered["activities"]
        ]
    assert shown == {
        ("monthly", "2027-01-01"): ["2026-12-31"],
        ("monthly", "2027-02-01"): ["2027-01-01", "2027-01-31"],
        ("monthly", "2027-03-01"): ["2027-02-01"],
        ("monthly", "2027-04-01"): ["2027-03-31"],
        ("monthly", "2027-05-01"): ["2027-04-01"],
        ("monthly", "2027-06-01"): [],
        ("monthly", "2027-07-01"): [],
        ("monthly", "2027-08-01"): [],
        ("monthly", "2027-09-01"): [],
        ("monthly", "2027-10-01"): [],
        ("monthly", "2027-11-01"): [],
        ("monthly", "2027-12-01"): [],
        ("quarterly", "2027-01-01"): ["2026-12-31"],
        ("quarterly", "2027-04-01"): ["2027-01-01", "2027-01-31", "2027-02-01", "2027-03-31"],
        ("quarterly", "2027-07-01"): ["2027-04-01"],
        ("quarterly", "2027-10-01"): [],
        ("annual", "2027-01-01"): ["2026-12-31"],
        ("annual", "2028-01-01"): ["2027-01-01", "2027-01-31", "2027-02-01", "2027-03-31", "2027-04-01", "2027-12-31"],
    }
    money = ("status", "subtotal", "tax", "total", "amount_paid", "amount_credited", "amount_due")
    assert [tuple(answers[i["id"]][k] for k in money) for i in (partly, paid, credited, yen)] == [
        ("issued", "2250.00", "0.00", "2250.00", "0.05", "0.00", "2249.95"),
        ("paid", "1500.00", "0.00", "1500.00", "1500.00", "0.00", "0.00"),
        ("issued", "6000.00", "495.00", "6495.00", "0.00", "108.36", "6386.64"),
        ("issued", "3000000", "300000", "3300000", "1", "0", "3299999"),
    ]
    assert answers[yen["id"]]["lines"][0]["amount"] == "3000000"


PROFILE = {
    "name": "Bluewave IT",
    "legal_name": "Bluewave IT Services LLC",
    "email": "billing@bluewave.example",
    "phone": "+1 312 555 0188",
    "website": "https://bluewave.example",
    "address": "200 W Madison St, Suite 900\nChicago, IL 60606",
    "tax_id": "EIN 36-4455667",
    "payment_instructions": "ACH to First Midwest Bank\nRouting 071000013, account 4455667788",
    "terms": "Net 30.",
    "updated_at": "2027-01-02T09:00:00+00:00",
}


def profile_event(tenant: str = "tenant-a", subject: str | None = None, **changes):
    return build(
        "proposals", "vcio.proposals.msp_profile.updated", tenant, {**PROFILE, **changes}, subject=subject or tenant
    )


async def processed(app, event) -> bool:
    async with app.state.runtime.sessionmaker() as s:
        q = (
            "SELECT EXISTS (SELECT FROM inbox WHERE event_id = :e) "
            "OR EXISTS (SELECT FROM dead_letters WHERE event_id = :e)"
        )
        return bool(await s.scalar(sa.text(q), {"e": event.id}))


def text_of(html: str) -> str:
    """The page's body as a reader sees it: tags gone, whitespace collapsed."""
    body = html.split("<body>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.replace("&amp;", "&"))).strip()


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", " ", out.decode()).strip()


async def billed(app, client, js, tenant: str = "tenant-a") -> dict:
    """A 1500.00 + 10% tax January invoice, 1000.00 paid and 100.00 (110.00 with tax) credited: 540.00 due."""
    event = accepted(tenant, start="2027-01-01", monthly="1500.00", tax_rate="10")
    await publish(js, event)
    await eventually(lambda: processed(app, event))
    await run(client, dt.date(2027, 1, 1), tenant)
    [inv] = await invoices(client, tenant)
    h = auth(tenant)
    pay = {"amount": "1000.00", "paid_at": "2027-01-20T10:00:00+00:00", "reference": "ACH 4471"}
    assert (await client.post(f"/v1/invoices/{inv['id']}/payments", json=pay, headers=h)).status_code == 201
    note = {"amount": "100.00", "reason": "goodwill"}
    assert (await client.post(f"/v1/invoices/{inv['id']}/credit-notes", json=note, headers=h)).status_code == 201
    return inv


async def test_invoice_html_and_pdf_name_the_msp_and_show_the_balance(live) -> None:
    app, client, js = live
    profile = profile_event()
    await publish(js, profile)
    await eventually(lambda: processed(app, profile))
    inv = await billed(app, client, js)
    html = await client.get(f"/v1/invoices/{inv['id']}/html", headers=auth())
    pdf = await client.get(f"/v1/invoices/{inv['id']}/pdf", headers=auth())
    seller = (
        "Bluewave IT Bluewave IT Services LLC 200 W Madison St, Suite 900 Chicago, IL 60606 "
        "billing@bluewave.example +1 312 555 0188 Tax ID: EIN 36-4455667"
    )
    page = text_of(html.text)
    assert page.startswith(f"Invoice INV-2027-000001 {seller} Bill to Acme Dental")
    for expected in (
        "Period: 1 January 2027 – 31 January 2027",
        "vCIO Growth, monthly subscription 1 January 2027 – 31 January 2027 1 1500.00 1500.00",
        "Subtotal 1500.00 USD Tax (10%) 150.00 USD Total 1650.00 USD Amount paid 1000.00 USD "
        "Credits 110.00 USD Balance due 540.00 USD",
        "How to pay ACH to First Midwest Bank Routing 071000013, account 4455667788",
        "Issue date: 1 January 2027",
        "Due date: 31 January 2027",
    ):
        assert expected in page, expected
    assert "Refund due" not in page and "1 February 2027" not in page
    text = pdf_text(pdf.content)
    for expected in (
        "Bluewave IT",
        "Bluewave IT Services LLC",
        "200 W Madison St, Suite 900",
        "Chicago, IL 60606",
        "billing@bluewave.example",
        "+1 312 555 0188",
        "Tax ID: EIN 36-4455667",
        "Bill to",
        "Acme Dental",
        "Period: 1 January 2027 – 31 January 2027",
        "Total 1650.00 USD",
        "Amount paid 1000.00 USD",
        "Credits 110.00 USD",
        "Balance due 540.00 USD",
        "How to pay",
        "ACH to First Midwest Bank",
        "Routing 071000013, account 4455667788",
    ):
        assert expected in text, (expected, text)
    assert "1 February 2027" not in text


async def test_the_newest_profile_wins_and_an_older_redelivery_changes_nothing(live) -> None:
    app, client, js = live
    inv = await billed(app, client, js)
    newer = profile_event(name="Bluewave Technology", updated_at="2027-02-01T00:00:00Z", payment_instructions=None)
    older = profile_event(name="Bluewave IT (old)", updated_at="2027-01-15T00:00:00Z")
    for event in (newer, older):
        await publish(js, event)
        await eventually(lambda e=event: processed(app, e))
    page = text_of((await client.get(f"/v1/invoices/{inv['id']}/html", headers=auth())).text)
    assert "Bluewave Technology Bluewave IT Services LLC" in page
    assert "(old)" not in page and "How to pay" not in page
    async with app.state.runtime.sessionmaker() as s:
        row = (await s.execute(sa.text("SELECT name, updated_at FROM msp_profiles"))).one()
    assert (row.name, row.updated_at) == ("Bluewave Technology", dt.datetime(2027, 2, 1, tzinfo=dt.UTC))


async def test_without_a_profile_the_tenant_names_the_seller_and_a_foreign_profile_is_refused(live) -> None:
    app, client, js = live
    intruder = profile_event("tenant-a", subject="tenant-b", name="Not tenant-b's MSP")
    await publish(js, intruder)
    await eventually(lambda: processed(app, intruder))
    inv = await billed(app, client, js, "tenant-b")
    page = text_of((await client.get(f"/v1/invoices/{inv['id']}/html", headers=auth("tenant-b"))).text)
    assert page.startswith("Invoice INV-2027-000001 tenant-b Bill to Acme Dental")
    async with app.state.runtime.sessionmaker() as s:
        assert await s.scalar(sa.text("SELECT count(*) FROM msp_profiles")) == 0
        assert await s.scalar(sa.text("SELECT count(*) FROM dead_letters")) == 1


async def test_a_refund_due_shows_on_the_invoice(live) -> None:
    app, client, js = live
    inv = await billed(app, client, js)
    note = {"amount": "500.00", "reason": "service credit"}  # 550.00: 540.00 clears the balance, 10.00 is refunded
    r = await client.post(f"/v1/invoices/{inv['id']}/credit-notes", json=note, headers=auth())
    assert (r.status_code, r.json()["refund_due"]) == (201, "10.00")
    page = text_of((await client.get(f"/v1/invoices/{inv['id']}/html", headers=auth())).text)
    assert "Amount paid 1000.00 USD Credits 660.00 USD Balance due 0.00 USD Refund due to you 10.00 USD" in page


async def test_a_consumer_made_before_the_profile_subject_takes_it_after_an_upgrade(settings, clock) -> None:
    """billing--proposals already exists (durable) with the two subjects of older releases: the profile
    event was never delivered to it."""
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    for name in ("PROPOSALS", "SCHEDULER"):
        await js.add_stream(StreamConfig(name=name, subjects=[f"vcio.{name.lower()}.>"], duplicate_window=120))
    old = ["vcio.proposals.proposal.accepted", "vcio.proposals.client.updated"]
    await js.add_consumer(
        "PROPOSALS",
        ConsumerConfig(
            durable_name="billing--proposals",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=old,
        ),
    )
    app = build_app(settings, clock=clock, run_background=True)
    try:
        async with running(app):
            profile = profile_event()
            await publish(js, profile)
            await eventually(lambda: processed(app, profile))
        info = await js.consumer_info("PROPOSALS", "billing--proposals")
        assert sorted(info.config.filter_subjects) == sorted([*old, "vcio.proposals.msp_profile.updated"])
    finally:
        await nc.close()


async def test_adjustment_and_cancellation_lines_read_with_inclusive_ends(app, client) -> None:
    """Line descriptions are text people read: 'Credit for 2027-07-01 to 2028-01-01' named the next year."""
    event = accepted(start="2027-01-01", cycle="annual", monthly="1000.00", term=12)
    await accept(app, event)
    await run(client, dt.date(2027, 1, 1))
    a = await agreement_for(client, event)
    change = {"effective_date": "2027-07-01", "monthly_amount": "1200.00"}
    invoice = (await client.post(f"/v1/agreements/{a['id']}/change", json=change, headers=auth())).json()
    assert [ln["description"] for ln in invoice["settled_by"]["invoice"]["lines"]] == [
        "Credit for 2027-07-01 to 2027-12-31 at the previous price",
        "Charge for 2027-07-01 to 2027-12-31 at the new price",
    ]
    r = await client.post(f"/v1/agreements/{a['id']}/cancel", json={"effective_date": "2027-10-01"}, headers=auth())
    [note] = r.json()["credit_notes"]
    assert [ln["description"] for ln in note["lines"]] == ["Unused days 2027-10-01 to 2027-12-31 (cancellation)"]
