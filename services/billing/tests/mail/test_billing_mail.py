"""POST /v1/invoices/{id}/send, payment receipts, credit notes, overdue reminders on the injected clock, the
renewal notice, and GET /v1/mail per tenant: all against a real SMTP server."""

from decimal import Decimal

import pytest
from billing_helpers import accept, accepted, invoices, run
from mail_helpers import at, attachments, mail_app, mail_rows, parts, pdf_text, profile, send_due

from billing import sweeps
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


async def sweep(app, clock, when: str) -> dict:
    clock.set(at(when))
    runtime = app.state.runtime
    async with runtime.sessionmaker() as session, session.begin():
        return await sweeps.payment_reminders(session, runtime)


async def test_send_again_mails_a_new_copy_each_time_once_per_idempotency_key(billing, smtp) -> None:
    app, client = billing
    await profile(app)
    assert await accept(app, accepted(monthly="1200.00"))
    await run(client, "2027-01-01")
    [invoice] = await invoices(client)
    url = f"/v1/invoices/{invoice['id']}/send"
    first = await client.post(url, headers=auth())
    assert first.status_code == 202, first.text
    assert first.json()["cause"] == f"invoice.sent:{invoice['id']}:1" and first.json()["status"] == "pending"
    keyed = {**auth(), "Idempotency-Key": "resend-1"}
    second = await client.post(url, headers=keyed)
    retried = await client.post(url, headers=keyed)
    assert second.status_code == 202 and retried.status_code == 202
    assert retried.json() == second.json() and retried.headers["Idempotency-Replayed"] == "true"
    assert second.json()["cause"] == f"invoice.sent:{invoice['id']}:2"
    # another tenant's invoice is not found; read scope alone may not send
    assert (await client.post(url, headers=auth("tenant-b"))).status_code == 404
    assert (await client.post(url, headers=auth(scopes="billing:read"))).status_code == 403
    assert await send_due(app) == 2
    assert len(smtp.messages) == 2 and len(set(smtp.message_ids())) == 2
    for msg in smtp.messages:
        assert str(msg["Subject"]) == "Invoice INV-2027-000001 from Northwind IT"
        assert "Total 1200.00 USD" in pdf_text(attachments(msg)["INV-2027-000001.pdf"])
    # a void invoice is not sent
    r = await client.post(f"/v1/invoices/{invoice['id']}/void", headers=auth())
    assert r.status_code == 200, r.text
    assert (await client.post(url, headers=auth())).status_code == 409
    assert len(await mail_rows(app)) == 2


async def test_a_draft_is_not_sent(billing) -> None:
    app, client = billing
    assert (await client.put("/v1/settings", json={"draft_review": True}, headers=auth())).status_code == 200
    assert await accept(app, accepted())
    await run(client, "2027-01-01")
    [draft] = await invoices(client)
    assert draft["status"] == "draft"
    r = await client.post(f"/v1/invoices/{draft['id']}/send", headers=auth())
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    # approving it issues it and mails it in the same transaction (the consumer will find it taken)
    r = await client.post(f"/v1/invoices/{draft['id']}/issue", headers=auth())
    assert r.status_code == 200, r.text
    assert [m["cause"] for m in await mail_rows(app)] == [f"invoice.issued:{draft['id']}"]


async def test_a_payment_and_a_credit_note_are_mailed_to_the_client(billing, smtp) -> None:
    app, client = billing
    await profile(app)
    assert await accept(app, accepted(monthly="1500.00", tax_rate="10"))
    await run(client, "2027-01-01")
    [invoice] = await invoices(client)
    assert invoice["total"] == "1650.00"
    # paid at 03:00 UTC on 20 January: still the 19th in Chicago, the client's time zone
    pay = {"amount": "1000.00", "paid_at": "2027-01-20T03:00:00+00:00", "reference": "ACH 5521"}
    assert (await client.post(f"/v1/invoices/{invoice['id']}/payments", json=pay, headers=auth())).status_code == 201
    note = {"amount": "100.00", "reason": "Goodwill for the January outage"}
    r = await client.post(f"/v1/invoices/{invoice['id']}/credit-notes", json=note, headers=auth())
    assert r.status_code == 201, r.text
    assert await send_due(app) == 2
    by_kind = {str(m["Subject"]).split()[0]: m for m in smtp.messages}
    receipt, credit = by_kind["Payment"], by_kind["Credit"]
    assert str(receipt["Subject"]) == "Payment received for invoice INV-2027-000001"
    assert receipt["List-Unsubscribe"] is None
    text, html = parts(receipt)
    assert "received your payment of 1000.00 USD on 19 January 2027 for invoice INV-2027-000001" in text
    assert "Invoice total: 1650.00 USD\nPaid in all: 1000.00 USD\nBalance due: 650.00 USD" in text
    assert 'id="amount-due">650.00 USD<' in html
    assert str(credit["Subject"]) == "Credit note CN-2027-000001 for invoice INV-2027-000001"
    text, html = parts(credit)
    assert "- Goodwill for the January outage: 100.00 USD" in text
    assert "Subtotal: 100.00 USD\nTax: 10.00 USD\nCredit total: 110.00 USD" in text
    assert "Refund due" not in text  # 650.00 was unpaid: all of the 110.00 credit goes against it
    assert attachments(receipt) == {} and attachments(credit) == {}


async def test_overdue_reminders_at_7_and_14_days_in_the_clients_time_zone_stopped_by_payment(
    billing, smtp, clock
) -> None:
    """Due 31 January (issued 1 January, net 30); the client is in Chicago (UTC-6 in February)."""
    app, client = billing
    await profile(app)
    assert await accept(app, accepted(monthly="1500.00"))
    assert await accept(app, accepted(monthly="900.00"))
    await run(client, "2027-01-01")
    unpaid, paid = sorted(await invoices(client), key=lambda i: Decimal(i["total"]), reverse=True)
    assert (unpaid["total"], unpaid["due_date"], paid["total"]) == ("1500.00", "2027-01-31", "900.00")
    assert await sweep(app, clock, "2027-02-06T12:00:00+00:00") == {"reminders": 0}  # day 6
    assert await sweep(app, clock, "2027-02-07T05:59:00+00:00") == {"reminders": 0}  # 23:59 on day 6 in Chicago
    assert await sweep(app, clock, "2027-02-07T06:00:00+00:00") == {"reminders": 2}  # midnight of day 7 there
    assert await sweep(app, clock, "2027-02-07T18:00:00+00:00") == {"reminders": 0}  # the same day again
    assert await sweep(app, clock, "2027-02-08T12:00:00+00:00") == {"reminders": 0}  # day 8
    pay = {"amount": "900.00", "paid_at": "2027-02-09T15:00:00+00:00", "reference": "wire"}
    assert (await client.post(f"/v1/invoices/{paid['id']}/payments", json=pay, headers=auth())).status_code == 201
    assert await sweep(app, clock, "2027-02-13T12:00:00+00:00") == {"reminders": 0}  # day 13
    assert await sweep(app, clock, "2027-02-14T12:00:00+00:00") == {"reminders": 1}  # day 14: the unpaid one only
    assert await sweep(app, clock, "2027-02-20T12:00:00+00:00") == {"reminders": 0}  # nothing after the last step
    reminders = [m for m in await mail_rows(app) if m["cause"].startswith("invoice.reminder:")]
    assert sorted(m["cause"] for m in reminders) == sorted(
        [
            f"invoice.reminder:{unpaid['id']}:7",
            f"invoice.reminder:{paid['id']}:7",
            f"invoice.reminder:{unpaid['id']}:14",
        ]
    )
    assert reminders[-1]["cause"] == f"invoice.reminder:{unpaid['id']}:14"
    assert await send_due(app) == 4  # three reminders and the payment's receipt
    sent = [m for m in smtp.messages if str(m["Subject"]).startswith("Reminder:")]
    assert sorted(str(m["Subject"]) for m in sent) == sorted(
        [
            f"Reminder: invoice {unpaid['number']} is 7 days overdue",
            f"Reminder: invoice {paid['number']} is 7 days overdue",
            f"Reminder: invoice {unpaid['number']} is 14 days overdue",
        ]
    )
    for msg in sent:
        assert str(msg["List-Unsubscribe"]) == "<mailto:accounts@northwind.example?subject=unsubscribe>"
    last = next(m for m in sent if "14 days" in str(m["Subject"]))
    text, _ = parts(last)
    assert "was due on 31 January 2027, 14 days ago, and 1500.00 USD of its 1500.00 USD is still unpaid" in text


async def test_a_reminder_step_is_mailed_late_within_a_week_and_says_how_late(billing, smtp, clock) -> None:
    """The sweep first runs on day 16 (it was down): one reminder, the 14-day step, saying 16 days; an invoice
    first seen on day 21 or later (the upgrade that brings mail) gets none."""
    app, client = billing
    assert await accept(app, accepted(monthly="700.00"))
    await run(client, "2027-01-01")
    [invoice] = await invoices(client)
    assert await sweep(app, clock, "2027-02-16T12:00:00+00:00") == {"reminders": 1}  # day 16
    assert [m["cause"] for m in await mail_rows(app)] == [f"invoice.reminder:{invoice['id']}:14"]
    assert await send_due(app) == 1
    [msg] = smtp.messages
    assert str(msg["Subject"]) == f"Reminder: invoice {invoice['number']} is 16 days overdue"
    assert "was due on 31 January 2027, 16 days ago, and 700.00 USD of its 700.00 USD is still unpaid" in parts(msg)[0]
    assert await accept(app, accepted(monthly="800.00"))
    await run(client, "2027-01-01")
    assert await sweep(app, clock, "2027-02-21T12:00:00+00:00") == {"reminders": 0}  # day 21: a week past 14


async def test_reminder_days_are_the_tenants_setting(billing, clock) -> None:
    app, client = billing
    r = await client.put("/v1/settings", json={"payment_reminder_days": [30, 3, 3]}, headers=auth())
    assert r.status_code == 200 and r.json()["payment_reminder_days"] == [3, 30]
    assert (await client.get("/v1/settings", headers=auth("tenant-b"))).json()["payment_reminder_days"] == [7, 14]
    bad = await client.put("/v1/settings", json={"payment_reminder_days": [0]}, headers=auth())
    assert bad.status_code == 422
    assert await accept(app, accepted())
    await run(client, "2027-01-01")
    assert await sweep(app, clock, "2027-02-02T12:00:00+00:00") == {"reminders": 0}  # day 2
    assert await sweep(app, clock, "2027-02-03T12:00:00+00:00") == {"reminders": 1}  # day 3
    assert await sweep(app, clock, "2027-02-14T12:00:00+00:00") == {"reminders": 0}  # 7 and 14 are not hers
    assert await sweep(app, clock, "2027-03-02T12:00:00+00:00") == {"reminders": 1}  # day 30
    assert [m["cause"].rsplit(":", 1)[1] for m in await mail_rows(app)] == ["3", "30"]


async def test_the_renewal_notice_goes_to_the_msp_profile_email_once(billing, smtp, clock) -> None:
    app, client = billing
    await profile(app)
    assert await accept(app, accepted(start="2027-01-01", term=12))  # ends 1 January 2028, notice 60 days before
    runtime = app.state.runtime
    for when in ("2027-11-01T12:00:00+00:00", "2027-11-02T12:00:00+00:00", "2027-11-03T12:00:00+00:00"):
        clock.set(at(when))
        async with runtime.sessionmaker() as session, session.begin():
            await sweeps.renewals(session, runtime)
    rows = await mail_rows(app)
    assert [(m["subject"], m["to_addrs"]) for m in rows] == [
        ("Renewal due: Acme Dental, vCIO Growth", ["accounts@northwind.example"])
    ]
    assert await send_due(app) == 1
    [msg] = smtp.messages
    text, _ = parts(msg)
    assert text.startswith("The agreement of Acme Dental (vCIO Growth) ends on 31 December 2027.\n")
    assert "It renews automatically for another 12 months on 1 January 2028" in text
    assert str(msg["List-Unsubscribe"]) == "<mailto:accounts@northwind.example?subject=unsubscribe>"


async def test_without_an_msp_profile_email_no_renewal_notice_is_mailed(billing, clock) -> None:
    app, _ = billing
    await profile(app, email=None)
    assert await accept(app, accepted(start="2027-01-01", term=12))
    clock.set(at("2027-11-02T12:00:00+00:00"))
    runtime = app.state.runtime
    async with runtime.sessionmaker() as session, session.begin():
        assert (await sweeps.renewals(session, runtime))["notices"] == 1  # the event still goes out
    assert await mail_rows(app) == []


async def test_get_mail_lists_only_the_tenants_own(billing) -> None:
    app, client = billing
    assert await accept(app, accepted())
    assert await accept(app, accepted("tenant-b", monthly="99.00"))
    await run(client, "2027-01-01")
    await run(client, "2027-01-01", "tenant-b")
    [a] = await invoices(client)
    [b] = await invoices(client, "tenant-b")
    assert (await client.post(f"/v1/invoices/{a['id']}/send", headers=auth())).status_code == 202
    mine = (await client.get("/v1/mail", headers=auth())).json()["items"]
    assert [(m["cause"], m["client_id"], m["to"], m["status"]) for m in mine] == [
        (f"invoice.sent:{a['id']}:1", a["client_id"], ["ops@acme.test"], "pending")
    ]
    assert (await client.get("/v1/mail", headers=auth("tenant-b"))).json()["items"] == []
    by_client = await client.get("/v1/mail", params={"client_id": a["client_id"]}, headers=auth("tenant-b"))
    assert by_client.status_code == 200 and by_client.json()["items"] == []
    assert (await client.post(f"/v1/invoices/{b['id']}/send", headers=auth("tenant-b"))).status_code == 202
    theirs = (await client.get("/v1/mail", headers=auth("tenant-b"))).json()["items"]
    assert [m["cause"] for m in theirs] == [f"invoice.sent:{b['id']}:1"]
    assert [m["cause"] for m in (await client.get("/v1/mail", headers=auth())).json()["items"]] == [
        f"invoice.sent:{a['id']}:1"
    ]
