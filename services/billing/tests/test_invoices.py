"""Payments, voids, credit notes, draft review, documents and tenant isolation."""

import datetime as dt
import uuid

import sqlalchemy as sa
from billing_helpers import accept, accepted, agreement_for, invoices, run

from vcio_shared.ids import uuid7
from vcio_shared.testing import auth

PAID_AT = "2027-01-20T10:00:00+00:00"


async def one_invoice(app, client, tenant="tenant-a", **kw) -> dict:
    await accept(app, accepted(tenant, start="2027-01-01", monthly="1500.00", **kw))
    await run(client, dt.date(2027, 1, 1), tenant)
    [inv] = await invoices(client, tenant)
    return inv


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


async def test_invoice_html_and_pdf_render(app, client) -> None:
    inv = await one_invoice(app, client)
    html = await client.get(f"/v1/invoices/{inv['id']}/html", headers=auth())
    assert html.status_code == 200
    assert "INV-2027-000001" in html.text and "1500.00" in html.text
    pdf = await client.get(f"/v1/invoices/{inv['id']}/pdf", headers=auth())
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


async def test_another_tenant_sees_404_on_every_invoice_route(app, client) -> None:
    inv = await one_invoice(app, client)
    other = auth("tenant-b")
    base = f"/v1/invoices/{inv['id']}"
    for path in (base, f"{base}/html", f"{base}/pdf"):
        assert (await client.get(path, headers=other)).status_code == 404, path
    for path, body in (
        (f"{base}/payments", {"amount": "1.00", "paid_at": PAID_AT, "reference": "x"}),
        (f"{base}/void", None),
        (f"{base}/issue", None),
        (f"{base}/mark-uncollectible", None),
        (f"{base}/credit-notes", {"amount": "1.00", "reason": "x"}),
    ):
        assert (await client.post(path, json=body, headers=other)).status_code == 404, path
    assert (await client.get("/v1/invoices", headers=other)).json()["items"] == []


async def test_another_tenant_sees_404_on_agreements_and_runs(app, client) -> None:
    event = accepted(start="2027-01-01")
    await accept(app, event)
    agreement = await agreement_for(client, event)
    result = await run(client, dt.date(2027, 1, 1))
    other = auth("tenant-b")
    base = f"/v1/agreements/{agreement['id']}"
    assert (await client.get(base, headers=other)).status_code == 404
    assert (await client.get(f"/v1/billing-runs/{result['id']}", headers=other)).status_code == 404
    for path, body in (
        (f"{base}/cancel", {"effective_date": "2027-02-01"}),
        (f"{base}/change", {"effective_date": "2027-02-01", "monthly_amount": "1.00"}),
        (f"{base}/renew", None),
    ):
        assert (await client.post(path, json=body, headers=other)).status_code == 404, path
    assert (await client.patch(base, json={"auto_renew": False}, headers=other)).status_code == 404
    assert (await client.get("/v1/agreements", headers=other)).json()["items"] == []
    assert (await client.get("/v1/metrics/mrr", params={"as_of": "2027-02-01"}, headers=other)).json()["items"] == []


async def test_bad_input_is_answered_4xx(app, client) -> None:
    h = auth()
    cases = [
        ("get", "/v1/invoices/not-a-uuid", None),
        ("get", "/v1/invoices?status=bogus", None),
        ("get", "/v1/invoices?limit=0", None),
        ("get", "/v1/invoices?limit=201", None),
        ("post", "/v1/billing-runs", {"as_of": "2027-02-30"}),
        ("post", "/v1/billing-runs", {"as_of": "9999-12-31"}),
        ("post", "/v1/billing-runs", {"as_of": "2027-01-01", "surprise": 1}),
        ("get", "/v1/metrics/movements?from=2027-02-01&to=2027-01-01", None),
        ("get", "/v1/metrics/mrr?as_of=0001-01-01", None),
        ("put", "/v1/settings", {"timezone": "Mars/Olympus"}),
        ("put", "/v1/settings", {"auto_run_hour": 24}),
    ]
    for method, path, body in cases:
        r = await client.request(method, path, json=body, headers=h)
        assert r.status_code == 422, (path, body, r.status_code)


async def test_scopes_are_enforced(client) -> None:
    assert (await client.get("/v1/invoices")).status_code == 401
    assert (await client.get("/v1/invoices", headers=auth(scopes="billing:write"))).status_code == 403
    r = await client.post("/v1/billing-runs", json={"as_of": "2027-01-01"}, headers=auth(scopes="billing:read"))
    assert r.status_code == 403


async def test_every_v1_route_demands_a_billing_scope(app) -> None:
    for route in app.routes:
        path = getattr(route, "path", "")
        if not path.startswith("/v1/") or path.startswith(("/v1/audit", "/v1/dead-letters")):
            continue
        scopes = {getattr(d.call, "required_scope", None) for d in route.dependant.dependencies}
        assert scopes & {"billing:read", "billing:write"}, path


async def test_openapi_and_health_answer_without_a_token(client) -> None:
    assert (await client.get("/healthz")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/v1/billing-runs" in spec["paths"] and "/v1/invoices/{invoice_id}/payments" in spec["paths"]


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


async def test_another_tenant_sees_nothing_of_credit_notes_runs_settings_and_metrics(app, client) -> None:
    inv = await one_invoice(app, client)
    note = (
        await client.post(
            f"/v1/invoices/{inv['id']}/credit-notes", json={"amount": "10.00", "reason": "x"}, headers=auth()
        )
    ).json()
    await client.put("/v1/settings", json={"draft_review": True}, headers=auth())
    other = auth("tenant-b")
    assert (await client.get(f"/v1/credit-notes/{note['id']}", headers=other)).status_code == 404
    assert (await client.get("/v1/credit-notes", headers=other)).json()["items"] == []
    assert (await client.get("/v1/billing-runs", headers=other)).json()["items"] == []
    assert (await client.get("/v1/settings", headers=other)).json()["draft_review"] is False
    period = {"from": "2027-01-01", "to": "2027-12-31"}
    assert (await client.get("/v1/metrics/movements", params=period, headers=other)).json()["items"] == []
    value = (await client.get("/v1/metrics/activity-value", params=period, headers=other)).json()["items"]
    assert [v["activities"] for v in value] == [0, 0]
    assert (await client.get(f"/v1/credit-notes/{note['id']}", headers=auth())).json()["total"] == "10.00"


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
            orm = await service.get_invoice(s, "tenant-a", uuid.UUID(invoice["id"]))
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


async def test_invoice_read_answers_404_for_an_unknown_or_foreign_invoice(app, client) -> None:
    event = accepted()
    assert await accept(app, event)
    await run(client, "2027-01-01")
    [invoice] = await invoices(client)
    assert (await client.get(f"/v1/invoices/{invoice['id']}", headers=auth("tenant-b"))).status_code == 404
    r = await client.get(f"/v1/invoices/{uuid7()}", headers=auth())
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_hot_read_answers_exactly_as_the_route_and_leaves_it_every_failure(app, client) -> None:
    """GET /v1/invoices/{id} is answered before FastAPI's router (`hot_get_invoice`); with a query string the
    route answers. Both must send the same bytes and headers, and every failure must be the route's problem."""
    import re

    from billing.invoices.router import _INVOICE_PATH, hot_get_invoice
    from billing.invoices.schemas import InvoiceDetailOut

    await accept(app, accepted(one_time=[("Onboarding", "750.00")], tax_rate="8.25"))
    await run(client, "2027-01-01")
    [invoice] = await invoices(client)
    path = f"/v1/invoices/{invoice['id']}"

    def shown(r) -> tuple:
        return r.status_code, r.content, [(k, v) for k, v in r.headers.items() if k not in ("date", "server")]

    hot, routed = await client.get(path, headers=auth()), await client.get(f"{path}?via=route", headers=auth())
    assert shown(hot) == shown(routed)
    assert hot.content == InvoiceDetailOut.model_validate_json(hot.content).model_dump_json(by_alias=True).encode()
    assert hot.status_code == 200 and hot.json()["number"] == invoice["number"]
    assert [k for k, _ in shown(hot)[2]] == ["content-length", "content-type", "x-content-type-options"]

    # The hot path itself answers a plain request, and declines everything else to the route.
    def scope(p: str) -> dict:
        return {"app": app, "path": p}

    def headers(h: dict[str, str]) -> dict[bytes, bytes]:
        return {k.lower().encode(): v.encode() for k, v in h.items()}

    match = _INVOICE_PATH.fullmatch(path)
    assert match is not None
    assert await hot_get_invoice(scope(path), headers(auth()), match) == hot.content
    unknown = _INVOICE_PATH.fullmatch(f"/v1/invoices/{uuid7()}")
    assert unknown is not None
    declined = [
        await hot_get_invoice(scope(path), {}, match),  # no token
        await hot_get_invoice(scope(path), {b"authorization": b"Bearer nope"}, match),  # not a token
        await hot_get_invoice(scope(path), headers(auth(scopes="billing:write")), match),  # no read scope
        await hot_get_invoice(scope(path), headers(auth("tenant-b")), match),  # another tenant's
        await hot_get_invoice(scope(path), headers(auth()), unknown),  # no such invoice
    ]
    assert declined == [None] * 5
    assert _INVOICE_PATH.fullmatch("/v1/invoices/not-a-uuid") is None
    assert re.fullmatch(_INVOICE_PATH, f"{path}/pdf") is None

    # Declined requests get the route's answers, problem details included.
    answers = [
        await client.get(path),
        await client.get(path, headers={"Authorization": "Bearer nope"}),
        await client.get(path, headers=auth(scopes="billing:write")),
        await client.get(path, headers=auth("tenant-b")),
        await client.get(f"/v1/invoices/{uuid7()}", headers=auth()),
        await client.get("/v1/invoices/not-a-uuid", headers=auth()),
    ]
    assert [r.status_code for r in answers] == [401, 401, 403, 404, 404, 422]
    assert {r.headers["content-type"] for r in answers} == {"application/problem+json"}
