"""Each issued invoice is mailed to its client once, over a real SMTP server: the mail's figures are the
invoice's to the cent, the PDF attached is that invoice, and a redelivered invoice.issued sends nothing twice."""

import datetime as dt

import pytest
import sqlalchemy as sa
from billing_helpers import accept, accepted, agreement_for, invoices, run
from mail_helpers import (
    attachments,
    delivered,
    handle_issued,
    html_text,
    issued_event,
    mail_app,
    mail_rows,
    parts,
    pdf_text,
    profile,
    send_due,
    set_client_email,
)

from vcio_shared.bus import PoisonEvent
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.testing import auth, running


@pytest.fixture
def smtp():
    with SmtpRecorder() as server:
        yield server


@pytest.fixture
async def billing(settings, clock, smtp):
    app = mail_app(settings, clock, smtp)
    async with running(app) as client:
        yield app, client


async def test_the_issued_invoice_is_mailed_once_with_its_figures_and_its_pdf(billing, smtp) -> None:
    app, client = billing
    await profile(app)
    event = accepted(monthly="1500.00", tax_rate="8.25", one_time=[("Onboarding", "750.00")])
    assert await accept(app, event)
    agreement = await agreement_for(client, event)
    await delivered(app, agreement, "Backup restore test", "2026-12-15T16:00:00+00:00", "1.50")
    await run(client, "2027-01-01")
    [invoice] = await invoices(client)
    assert (invoice["number"], invoice["subtotal"], invoice["tax"], invoice["total"], invoice["due_date"]) == (
        "INV-2027-000001",
        "2250.00",
        "185.63",
        "2435.63",
        "2027-01-31",
    )
    # billing's own invoice.issued, handled by its consumer; then the same event again, and a second event
    # for the same invoice (a re-publish with a new event id): one message, one Message-ID, at the server.
    issued = issued_event(invoice)
    assert await handle_issued(app, issued) is True
    assert await handle_issued(app, issued) is False
    assert await handle_issued(app, issued_event(invoice)) is True
    assert [r["cause"] for r in await mail_rows(app)] == [f"invoice.issued:{invoice['id']}"]
    assert await send_due(app) == 1
    assert await send_due(app) == 0
    [msg] = smtp.messages
    assert len(set(smtp.message_ids())) == 1
    assert smtp.envelopes[0][1] == ["ops@acme.test"]
    assert str(msg["Subject"]) == "Invoice INV-2027-000001 from Northwind IT"
    assert str(msg["From"]) == "Northwind IT <billing@vcio.example>"
    assert str(msg["Reply-To"]) == "accounts@northwind.example"
    assert msg["List-Unsubscribe"] is None  # invoices carry none
    text, html = parts(msg)
    assert (
        "- vCIO Growth, monthly subscription (1 January 2027 - 31 January 2027): 1 x 1500.00 = 1500.00 USD\n"
        "- Onboarding: 1 x 750.00 = 750.00 USD\n\n"
        "Subtotal: 2250.00 USD\nTax (8.25%): 185.63 USD\nTotal: 2435.63 USD\nBalance due: 2435.63 USD\n"
        "Due date: 31 January 2027\n\n"
        "How to pay:\nACH to Pacific Bank\nRouting 123000848, account 99887766\n\n"
        "Value delivered 1 December 2026 - 31 December 2026:\n"
        "- 15 December 2026: Backup restore test (done), 1.50 h\n"
    ) in text
    shown = html_text(html)
    assert (
        "vCIO Growth, monthly subscription 1 January 2027 – 31 January 2027 1 1500.00 1500.00 "
        "Onboarding 1 750.00 750.00 Subtotal 2250.00 USD Tax (8.25%) 185.63 USD Total 2435.63 USD "
        "Balance due 2435.63 USD Due date: 31 January 2027"
    ) in shown
    assert "Routing 123000848, account 99887766" in shown and "15 December 2026 Backup restore test" in shown
    [(name, pdf)] = attachments(msg).items()
    assert name == "INV-2027-000001.pdf" and pdf.startswith(b"%PDF")
    document = pdf_text(pdf)
    assert "Invoice INV-2027-000001" in document and "Total 2435.63 USD" in document and "Northwind IT" in document
    # the text part ends with the MSP's footer (sender profile)
    assert text.rstrip().endswith("Northwind IT Services LLC\n1 Harbour Way\nPortland, OR 97201")


async def test_a_client_address_with_a_line_break_skips_the_mail_and_never_the_event(billing, smtp) -> None:
    """Header injection through the client's e-mail: the event is handled (not dead-lettered), no mail is
    written; the explicit send answers 422 and writes nothing."""
    app, client = billing
    event = accepted()
    assert await accept(app, event)
    await run(client, "2027-01-01")
    [invoice] = await invoices(client)
    await set_client_email(app, invoice["client_id"], "ops@acme.test\r\nBcc: thief@evil.example")
    assert await handle_issued(app, issued_event(invoice)) is True
    assert await mail_rows(app) == []
    r = await client.post(f"/v1/invoices/{invoice['id']}/send", headers=auth())
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    assert await mail_rows(app) == []
    # a client with no address: the handler mails nothing, the send route says why
    await set_client_email(app, invoice["client_id"], "")
    assert await handle_issued(app, issued_event(invoice)) is True
    r = await client.post(f"/v1/invoices/{invoice['id']}/send", headers=auth())
    assert r.status_code == 409, r.text
    assert await mail_rows(app) == [] and await send_due(app) == 0 and smtp.messages == []


async def test_an_invoice_issued_event_naming_another_tenants_invoice_is_poison(billing) -> None:
    app, client = billing
    assert await accept(app, accepted())
    await run(client, "2027-01-01")
    [invoice] = await invoices(client)
    with pytest.raises(PoisonEvent):
        await handle_issued(app, issued_event(invoice, tenant="tenant-b"))
    assert await mail_rows(app, "tenant-b") == [] and await mail_rows(app) == []


async def test_an_invoice_voided_before_its_event_is_handled_is_not_mailed(billing) -> None:
    app, client = billing
    assert await accept(app, accepted())
    await run(client, "2027-01-01")
    [invoice] = await invoices(client)
    assert (await client.post(f"/v1/invoices/{invoice['id']}/void", headers=auth())).status_code == 200
    assert await handle_issued(app, issued_event(invoice)) is True
    assert await mail_rows(app) == []


async def test_an_invoice_issued_more_than_a_week_before_its_event_is_handled_is_not_mailed(billing) -> None:
    """The consumer starts at the beginning of BILLING: on the upgrade that brings mail, the stream's old
    invoice.issued events must not mail their invoices. Six days late is still mailed; eight is not."""
    app, client = billing
    assert await accept(app, accepted())
    assert await accept(app, accepted())
    await run(client, "2027-01-01")
    late, old = await invoices(client)
    now = dt.datetime.now(dt.UTC)
    async with app.state.runtime.sessionmaker() as s, s.begin():
        for invoice, days in ((late, 6), (old, 8)):
            q = sa.text("UPDATE invoices SET issued_at = :at WHERE id = :id")
            await s.execute(q, {"at": now - dt.timedelta(days=days), "id": invoice["id"]})
    assert await handle_issued(app, issued_event(late)) is True
    assert await handle_issued(app, issued_event(old)) is True
    assert [m["cause"] for m in await mail_rows(app)] == [f"invoice.issued:{late['id']}"]
