"""Invoice routes and the API's edges: tenant isolation, bad input as 4xx, scopes, and the hot read that
answers GET /v1/invoices/{id} before the router."""

import datetime as dt

from billing_helpers import PAID_AT, accept, accepted, agreement_for, invoices, one_invoice, run

from vcio_shared.ids import uuid7
from vcio_shared.testing import auth


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
