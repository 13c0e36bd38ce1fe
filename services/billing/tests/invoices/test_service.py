"""Invoices' rules: payments, voids, credit notes (refunds due, the pre-tax limit, concurrent credits),
draft review, gapless numbers, and the totals the database holds."""

import asyncio
import datetime as dt

import pytest
import sqlalchemy as sa
from billing_helpers import PAID_AT, accept, accepted, invoices, one_invoice, run
from sqlalchemy.exc import IntegrityError

from vcio_shared.testing import auth


async def test_partial_payment_leaves_the_invoice_issued_with_the_rest_due(app, client) -> None:
    inv = await one_invoice(app, client)
    r = await client.post(
        f"/v1/invoices/{inv['id']}/payments",
        json={"amount": "500.00", "paid_at": PAID_AT, "reference": "ACH-1"},
        headers=auth(),
    )
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["amount_paid"], r.json()["amount_due"]) == ("issued", "500.00", "1000.00")


async def test_full_payment_marks_the_invoice_paid(app, client) -> None:
    inv = await one_invoice(app, client)
    for amount in ("500.00", "1000.00"):
        r = await client.post(
            f"/v1/invoices/{inv['id']}/payments",
            json={"amount": amount, "paid_at": PAID_AT, "reference": "x"},
            headers=auth(),
        )
    assert (r.json()["status"], r.json()["amount_due"]) == ("paid", "0.00")


async def test_overpayment_is_refused(app, client) -> None:
    inv = await one_invoice(app, client)
    r = await client.post(
        f"/v1/invoices/{inv['id']}/payments",
        json={"amount": "1500.01", "paid_at": PAID_AT, "reference": "x"},
        headers=auth(),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "amount"]


async def test_payment_with_too_many_digits_or_a_number_is_refused(app, client) -> None:
    inv = await one_invoice(app, client)
    for amount in ("10.001", 10, "-5.00", "1e3", "99999999999999999999"):
        r = await client.post(
            f"/v1/invoices/{inv['id']}/payments",
            json={"amount": amount, "paid_at": PAID_AT, "reference": "x"},
            headers=auth(),
        )
        assert r.status_code == 422, amount


async def test_payment_with_the_same_idempotency_key_is_taken_once(app, client) -> None:
    inv = await one_invoice(app, client)
    headers = {**auth(), "Idempotency-Key": "pay-1"}
    body = {"amount": "100.00", "paid_at": PAID_AT, "reference": "x"}
    first = await client.post(f"/v1/invoices/{inv['id']}/payments", json=body, headers=headers)
    second = await client.post(f"/v1/invoices/{inv['id']}/payments", json=body, headers=headers)
    assert first.json() == second.json()
    again = (await client.get(f"/v1/invoices/{inv['id']}", headers=auth())).json()
    assert again["amount_paid"] == "100.00"


async def test_void_an_unpaid_invoice(app, client) -> None:
    inv = await one_invoice(app, client)
    r = await client.post(f"/v1/invoices/{inv['id']}/void", headers=auth())
    assert r.json()["status"] == "void"
    r = await client.post(
        f"/v1/invoices/{inv['id']}/payments",
        json={"amount": "1.00", "paid_at": PAID_AT, "reference": "x"},
        headers=auth(),
    )
    assert r.status_code == 409


async def test_void_after_a_payment_is_refused(app, client) -> None:
    inv = await one_invoice(app, client)
    await client.post(
        f"/v1/invoices/{inv['id']}/payments",
        json={"amount": "1.00", "paid_at": PAID_AT, "reference": "x"},
        headers=auth(),
    )
    assert (await client.post(f"/v1/invoices/{inv['id']}/void", headers=auth())).status_code == 409


async def test_voided_period_is_not_billed_again(app, client) -> None:
    inv = await one_invoice(app, client)
    await client.post(f"/v1/invoices/{inv['id']}/void", headers=auth())
    assert (await run(client, dt.date(2027, 1, 31)))["invoices_created"] == 0


async def test_credit_note_adds_tax_and_reduces_the_amount_due(app, client) -> None:
    inv = await one_invoice(app, client, tax_rate="10")
    r = await client.post(
        f"/v1/invoices/{inv['id']}/credit-notes", json={"amount": "100.00", "reason": "goodwill"}, headers=auth()
    )
    assert r.status_code == 201, r.text
    assert (r.json()["number"], r.json()["subtotal"], r.json()["tax"], r.json()["total"]) == (
        "CN-2027-000001",
        "100.00",
        "10.00",
        "110.00",
    )
    again = (await client.get(f"/v1/invoices/{inv['id']}", headers=auth())).json()
    assert (again["amount_credited"], again["amount_due"]) == ("110.00", "1540.00")


async def test_credit_note_above_the_invoice_is_refused(app, client) -> None:
    inv = await one_invoice(app, client)
    r = await client.post(
        f"/v1/invoices/{inv['id']}/credit-notes", json={"amount": "1500.01", "reason": "x"}, headers=auth()
    )
    assert r.status_code == 422


async def test_a_full_credit_settles_the_invoice(app, client) -> None:
    inv = await one_invoice(app, client)
    await client.post(
        f"/v1/invoices/{inv['id']}/credit-notes", json={"amount": "1500.00", "reason": "x"}, headers=auth()
    )
    again = (await client.get(f"/v1/invoices/{inv['id']}", headers=auth())).json()
    assert (again["status"], again["amount_due"]) == ("paid", "0.00")


async def test_draft_review_keeps_invoices_unnumbered_until_issued(app, client) -> None:
    r = await client.put("/v1/settings", json={"draft_review": True}, headers=auth())
    assert r.json()["draft_review"] is True
    inv = await one_invoice(app, client)
    assert (inv["status"], inv["number"], inv["issue_date"]) == ("draft", None, None)
    r = await client.post(f"/v1/invoices/{inv['id']}/issue", headers=auth())
    assert (r.json()["status"], r.json()["number"], r.json()["due_date"]) == ("issued", "INV-2027-000001", "2027-02-03")
    assert (await client.post(f"/v1/invoices/{inv['id']}/issue", headers=auth())).status_code == 409


async def test_numbers_are_gapless_per_tenant(app, client) -> None:
    for tenant in ("tenant-a", "tenant-b"):
        for _ in range(3):
            await accept(app, accepted(tenant, start="2027-01-01"))
    await run(client, dt.date(2027, 2, 1), "tenant-a")
    await run(client, dt.date(2027, 1, 1), "tenant-b")
    numbers_a = sorted(i["number"] for i in await invoices(client, "tenant-a"))
    numbers_b = sorted(i["number"] for i in await invoices(client, "tenant-b"))
    assert numbers_a == [f"INV-2027-{n:06d}" for n in range(1, 7)]
    assert numbers_b == [f"INV-2027-{n:06d}" for n in range(1, 4)]


async def test_mark_uncollectible_then_no_payment_is_taken(app, client) -> None:
    inv = await one_invoice(app, client)
    r = await client.post(f"/v1/invoices/{inv['id']}/mark-uncollectible", headers=auth())
    assert (r.status_code, r.json()["status"], r.json()["amount_due"]) == (200, "uncollectible", "0.00")
    r = await client.post(
        f"/v1/invoices/{inv['id']}/payments",
        json={"amount": "1.00", "paid_at": PAID_AT, "reference": "x"},
        headers=auth(),
    )
    assert r.status_code == 409


async def paid_invoice(app, client, monthly: str = "2000.00", paid: str = "2000.00", **kw) -> dict:
    await accept(app, accepted(start="2027-01-01", monthly=monthly, **kw))
    await run(client, dt.date(2027, 1, 1))
    [inv] = await invoices(client)
    r = await client.post(
        f"/v1/invoices/{inv['id']}/payments",
        json={"amount": paid, "paid_at": PAID_AT, "reference": "x"},
        headers=auth(),
    )
    assert r.status_code == 201, r.text
    return r.json()


def credit(client, invoice_id: str, amount: str):
    return client.post(
        f"/v1/invoices/{invoice_id}/credit-notes", json={"amount": amount, "reason": "refund"}, headers=auth()
    )


async def test_a_credit_on_a_paid_invoice_is_a_refund_due(app, client) -> None:
    """Pay 2000.00, then credit 2000.00: the 2000.00 owed back was recorded nowhere."""
    inv = await paid_invoice(app, client)
    r = await credit(client, inv["id"], "2000.00")
    assert r.status_code == 201, r.text
    assert (r.json()["total"], r.json()["refund_due"], r.json()["currency"]) == ("2000.00", "2000.00", "USD")
    got = (await client.get(f"/v1/invoices/{inv['id']}", headers=auth())).json()
    money = ("status", "total", "amount_paid", "amount_credited", "amount_due", "refund_due")
    assert tuple(got[k] for k in money) == ("paid", "2000.00", "2000.00", "2000.00", "0.00", "2000.00")
    listed = (await client.get("/v1/credit-notes", params={"invoice_id": inv["id"]}, headers=auth())).json()
    assert [n["refund_due"] for n in listed["items"]] == ["2000.00"]
    # nothing is left to credit or to pay
    r = await credit(client, inv["id"], "0.01")
    assert (r.status_code, r.json()["errors"][0]["msg"]) == (
        422,
        "a credit must be above zero and at most 0.00 before tax (0.00 with tax at 0%)",
    )
    r = await client.post(
        f"/v1/invoices/{inv['id']}/payments",
        json={"amount": "0.01", "paid_at": PAID_AT, "reference": "x"},
        headers=auth(),
    )
    assert r.status_code == 409  # paid: no payment is taken


async def test_a_credit_beyond_the_unpaid_balance_refunds_only_the_excess(app, client) -> None:
    """1500.00 + 10% tax = 1650.00, 1000.00 paid, 650.00 unpaid: a 1000.00 credit (1100.00 with tax) clears the
    650.00 and leaves 450.00 to refund."""
    inv = await paid_invoice(app, client, monthly="1500.00", paid="1000.00", tax_rate="10")
    r = await credit(client, inv["id"], "1000.00")
    assert (r.status_code, r.json()["total"], r.json()["refund_due"]) == (201, "1100.00", "450.00")
    got = (await client.get(f"/v1/invoices/{inv['id']}", headers=auth())).json()
    money = ("status", "amount_paid", "amount_credited", "amount_due", "refund_due")
    assert tuple(got[k] for k in money) == ("paid", "1000.00", "1100.00", "0.00", "450.00")
    # the rest of the total can still be credited (500.00 + 50.00 tax), all of it refunded; not a cent more
    r = await credit(client, inv["id"], "500.01")
    assert (
        r.json()["errors"][0]["msg"]
        == "a credit must be above zero and at most 500.00 before tax (550.00 with tax at 10%)"
    )
    r = await credit(client, inv["id"], "500.00")
    assert (r.status_code, r.json()["refund_due"]) == (201, "550.00")
    got = (await client.get(f"/v1/invoices/{inv['id']}", headers=auth())).json()
    assert (got["amount_credited"], got["refund_due"]) == ("1650.00", "1000.00")


async def test_the_credit_limit_is_quoted_before_tax_like_the_request(app, client) -> None:
    """The request is pre-tax; the message quoted 1650.00 (with tax) for a 1500.00 limit."""
    await accept(app, accepted(start="2027-01-01", monthly="1500.00", tax_rate="10"))
    await run(client, dt.date(2027, 1, 1))
    [inv] = await invoices(client)
    r = await credit(client, inv["id"], "1500.01")
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "loc": ["body", "amount"],
        "msg": "a credit must be above zero and at most 1500.00 before tax (1650.00 with tax at 10%)",
    }
    # 8.25% rounds: 1000.00 + 82.50 = 1082.50 fits exactly; 1000.01 + 82.50 does not
    await accept(app, accepted(start="2027-01-01", monthly="1000.00", tax_rate="8.25"))
    await run(client, dt.date(2027, 1, 1))
    [other] = [i for i in await invoices(client) if i["id"] != inv["id"]]
    r = await credit(client, other["id"], "1000.01")
    assert r.json()["errors"][0]["msg"] == (
        "a credit must be above zero and at most 1000.00 before tax (1082.50 with tax at 8.25%)"
    )
    assert (await credit(client, other["id"], "1000.00")).status_code == 201


async def test_concurrent_credits_never_take_credits_beyond_the_total(app, client) -> None:
    inv = await paid_invoice(app, client)
    answers = await asyncio.gather(*(credit(client, inv["id"], "1500.00") for _ in range(3)))
    assert sorted(r.status_code for r in answers) == [201, 422, 422]
    got = (await client.get(f"/v1/invoices/{inv['id']}", headers=auth())).json()
    assert (got["amount_paid"], got["amount_credited"], got["refund_due"]) == ("2000.00", "1500.00", "1500.00")


async def test_the_database_holds_the_invoice_totals_to_the_rule(app, client) -> None:
    inv = await paid_invoice(app, client)
    assert (await credit(client, inv["id"], "500.00")).status_code == 201
    for assignment in (
        "amount_credited = total + 1",  # credits beyond the total
        "amount_refund_due = 0",  # a refund due that is not recorded
        "amount_refund_due = amount_refund_due + 1",  # a refund beyond paid + credited - total
        "amount_paid = -1, amount_refund_due = 0",  # negative
    ):
        async with app.state.runtime.sessionmaker() as s:
            with pytest.raises(IntegrityError, match="ck_invoices"):
                await s.execute(sa.text(f"UPDATE invoices SET {assignment} WHERE id = :i"), {"i": inv["id"]})
    async with app.state.runtime.sessionmaker() as s:
        with pytest.raises(IntegrityError, match="ck_credit_notes_refund_due"):
            await s.execute(sa.text("UPDATE credit_notes SET refund_due = total + 1"))


def test_migration_0005_records_the_refunds_already_owed(database_factory) -> None:
    """Credits given on paid invoices before 0005: the excess becomes a refund due, on the latest notes first."""
    import psycopg
    from alembic import command

    from vcio_shared.migrations import alembic_config

    url = database_factory("billing")
    command.downgrade(alembic_config("billing", url), "0004")
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO agreements (id, tenant_id, proposal_id, client_id, package_name, status, start_date,"
            " end_date, term_start, term_months, term_number, billing_cycle, currency, monthly_amount,"
            " one_time_amount, price_schedule, created_at, updated_at) VALUES ('00000000-0000-7000-8000-000000000001',"
            " 't', gen_random_uuid(), '00000000-0000-7000-8000-0000000000c1', 'p', 'active', '2027-01-01',"
            " '2028-01-01', '2027-01-01', 12, 1, 'monthly', 'USD', 120000, 0, '[]', now(), now())"
        )
        invoice = (
            "INSERT INTO invoices (id, tenant_id, agreement_id, client_id, kind, status, period_start, period_end,"
            " currency, subtotal, tax, total, tax_rate, payment_terms_days, amount_paid, amount_credited, created_at)"
            " VALUES (%s, 't', '00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-0000000000c1',"
            " 'recurring', 'paid', %s, %s, 'USD', %s, 0, %s, '0', 30, %s, %s, now())"
        )
        conn.execute(
            invoice,
            ("00000000-0000-7000-8000-0000000000a1", "2027-01-01", "2027-02-01", 200000, 200000, 120000, 150000),
        )
        conn.execute(
            invoice, ("00000000-0000-7000-8000-0000000000a2", "2027-02-01", "2027-03-01", 120000, 120000, 0, 50000)
        )
        note = (
            "INSERT INTO credit_notes (id, tenant_id, number, invoice_id, agreement_id, client_id, kind, reason,"
            " issue_date, currency, subtotal, tax, total, lines, created_at) VALUES (%s, 't', %s, %s,"
            " '00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-0000000000c1', 'manual', 'x',"
            " '2027-02-01', 'USD', %s, 0, %s, '[]', %s)"
        )
        for n, (invoice_id, amount, at) in enumerate(
            [
                ("a1", 100000, "2027-02-01T00:00Z"),
                ("a1", 50000, "2027-02-02T00:00Z"),
                ("a2", 50000, "2027-02-03T00:00Z"),
            ]
        ):
            conn.execute(
                note,
                (
                    f"00000000-0000-7000-8000-0000000000b{n}",
                    f"CN-{n}",
                    f"00000000-0000-7000-8000-0000000000{invoice_id}",
                    amount,
                    amount,
                    at,
                ),
            )
    command.upgrade(alembic_config("billing", url), "head")
    with psycopg.connect(url) as conn:
        invoices = conn.execute("SELECT amount_refund_due FROM invoices ORDER BY id").fetchall()
        notes = conn.execute("SELECT number, refund_due FROM credit_notes ORDER BY number").fetchall()
    # a1: 1200.00 paid + 1500.00 credited on 2000.00 is 700.00 owed back: the latest note's 500.00, then 200.00
    assert [r[0] for r in invoices] == [70000, 0]
    assert notes == [("CN-0", 20000), ("CN-1", 50000), ("CN-2", 0)]
