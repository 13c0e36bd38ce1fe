import httpx
import pytest
from fastapi import FastAPI

from services.proposals.tests.support import (
    await_published,
    create_client,
    create_proposal,
    package_event,
    seed,
    sent_proposal,
)
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth


@pytest.fixture
async def setup(client: httpx.AsyncClient, app: FastAPI) -> dict:
    package_id = await seed(app, package_event())
    c = await create_client(client)
    return {"package_id": package_id, "client_id": c["id"]}


async def _new(client: httpx.AsyncClient, setup: dict, **overrides) -> dict:
    return await create_proposal(client, setup["client_id"], setup["package_id"], **overrides)


async def test_a_draft_carries_lines_and_totals_from_the_package(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup)
    assert p["status"] == "draft"
    assert [(ln["id"], ln["kind"], ln["amount"]) for ln in p["lines"]] == [
        ("package", "recurring", "1500.00"),
        ("onboarding", "one_time", "500.00"),
    ]
    assert (p["monthly_total"], p["one_time_total"], p["contract_value"], p["currency"]) == (
        "1500.00",
        "500.00",
        "18500.00",
        "USD",
    )
    assert (p["term_months"], p["billing_cycle"], p["end_date"]) == (12, "monthly", "2028-02-01")


async def test_schedule_summary_counts_occurrences_in_the_term(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup)
    assert [(s["name"], s["role"], s["occurrences"]) for s in p["schedule_summary"]] == [
        ("Quarterly business review", "vcio", 4),
        ("Monthly ticket review", "technical_account_manager", 12),
        ("Annual IT roadmap", "vcio", 1),
        ("NIST cybersecurity review", "technical_account_manager", 2),
    ]
    assert p["schedule_summary"][0]["description"] == "4 × Quarterly business review (quarterly)"


async def test_a_longer_term_counts_more_occurrences(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup, term_months=36, start_date="2027-03-15")
    assert [s["occurrences"] for s in p["schedule_summary"]] == [12, 36, 3, 6]
    assert p["contract_value"] == "54500.00"


async def test_delivery_calendar_covers_twelve_months_and_moves_weekends_to_monday(
    client: httpx.AsyncClient, setup: dict
) -> None:
    p = await _new(client, setup, start_date="2027-05-01", term_months=24)  # a Saturday
    months = [m["month"] for m in p["delivery_calendar"]]
    assert months == [f"2027-{m:02d}" for m in range(5, 13)] + [f"2028-{m:02d}" for m in range(1, 5)]
    first = p["delivery_calendar"][0]["items"]
    assert {i["date"] for i in first} == {"2027-05-03"}
    assert sum(len(m["items"]) for m in p["delivery_calendar"]) == 12 + 4 + 1 + 2


async def test_discount_applies_to_recurring_lines_with_its_reason(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup, discount_percent="12.5", discount_reason="Two-year referral")
    package_line = p["lines"][0]
    assert (package_line["list_amount"], package_line["discount_amount"], package_line["amount"]) == (
        "1500.00",
        "187.50",
        "1312.50",
    )
    assert (p["monthly_total"], p["one_time_total"], p["contract_value"]) == ("1312.50", "500.00", "16250.00")
    assert (p["discount_percent"], p["discount_reason"]) == ("12.50", "Two-year referral")


async def test_discount_rounds_half_up_once_per_line(client: httpx.AsyncClient, app: FastAPI) -> None:
    package_id = await seed(app, package_event(monthly_price="1999.99", onboarding_fee="0.00"))
    c = await create_client(client)
    p = await create_proposal(client, c["id"], package_id, discount_percent="7.5", discount_reason="pilot")
    # 1999.99 × 7.5% = 149.99925 → 150.00 (half-up once), leaving 1849.99
    assert (p["lines"][0]["discount_amount"], p["monthly_total"], p["one_time_total"]) == ("150.00", "1849.99", "0.00")
    assert [ln["id"] for ln in p["lines"]] == ["package"]


BAD_TERMS = [
    ({"discount_percent": "100.01", "discount_reason": "x"}, ["body", "discount_percent"]),
    ({"discount_percent": "-1", "discount_reason": "x"}, ["body", "discount_percent"]),
    ({"start_date": "2026-01-03"}, ["body", "start_date"]),
    ({"start_date": "2027-02-30"}, ["body", "start_date"]),
    ({"term_months": 0}, ["body", "term_months"]),
    ({"billing_cycle": "weekly"}, ["body", "billing_cycle"]),
    ({"valid_until": "2027-01-03"}, ["body", "valid_until"]),
    ({"gift": "free coffee"}, ["body", "gift"]),
    (
        {"one_time_items": [{"description": "Setup", "amount": "99999999999999999.00"}]},
        ["body", "one_time_items", 0, "amount"],
    ),
    ({"one_time_items": [{"description": "Setup", "amount": "10.001"}]}, ["body", "one_time_items", 0, "amount"]),
    ({"optional_items": [{"description": "Gold", "amount": "999999999999999.00"}]}, ["body"]),
    ({"discount_percent": "5", "discount_reason": "nul\u0000"}, ["body", "discount_reason"]),
    ({"optional_items": [{"activity": "Free lunch", "amount": "10.00"}]}, ["body", "optional_items", 0, "activity"]),
]


async def test_bad_terms_are_refused_with_422(client: httpx.AsyncClient, setup: dict) -> None:
    wrong = []
    for change, loc in BAD_TERMS:
        body = {
            "client_id": setup["client_id"],
            "package_id": setup["package_id"],
            "start_date": "2027-02-01",
            **change,
        }
        r = await client.post("/v1/proposals", json=body, headers=auth())
        got = r.json().get("errors", [{}])[0].get("loc", [])[: len(loc)] if r.status_code == 422 else None
        if (r.status_code, got) != (422, loc):
            wrong.append((change, r.status_code, r.text[:200]))
    assert wrong == []
    assert (await client.get("/v1/proposals", headers=auth())).json()["items"] == []


async def test_a_start_date_exactly_a_year_back_is_accepted(client: httpx.AsyncClient, setup: dict) -> None:
    # Today is 2027-01-04 in New York.
    p = await _new(client, setup, start_date="2026-01-04")
    assert p["start_date"] == "2026-01-04"


async def test_a_client_of_another_tenant_is_refused_with_422(
    client: httpx.AsyncClient, app: FastAPI, setup: dict
) -> None:
    theirs = await create_client(client, "tenant-b")
    r = await client.post(
        "/v1/proposals",
        json={"client_id": theirs["id"], "package_id": setup["package_id"], "start_date": "2027-02-01"},
        headers=auth(),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "client_id"]


async def test_an_unknown_package_or_version_is_refused_with_422(client: httpx.AsyncClient, setup: dict) -> None:
    r = await client.post(
        "/v1/proposals",
        json={"client_id": setup["client_id"], "package_id": setup["client_id"], "start_date": "2027-02-01"},
        headers=auth(),
    )
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "package_id"])
    r = await client.post(
        "/v1/proposals",
        json={
            "client_id": setup["client_id"],
            "package_id": setup["package_id"],
            "package_version": 7,
            "start_date": "2027-02-01",
        },
        headers=auth(),
    )
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "package_version"])


async def test_a_client_billed_in_another_currency_is_refused(client: httpx.AsyncClient, setup: dict) -> None:
    eur = await create_client(client, currency="EUR")
    r = await client.post(
        "/v1/proposals",
        json={"client_id": eur["id"], "package_id": setup["package_id"], "start_date": "2027-02-01"},
        headers=auth(),
    )
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "client_id"])


async def test_first_invoice_estimate_prorates_a_partial_first_month(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup, start_date="2027-02-15")
    # 1500.00 × 14/28 days = 750.00, + 500.00 onboarding, + 8.25% tax
    assert p["first_invoice_estimate"] == {
        "period_start": "2027-02-15",
        "period_end": "2027-03-01",
        "recurring": "750.00",
        "one_time": "500.00",
        "subtotal": "1250.00",
        "tax_rate": "8.25",
        "tax": "103.13",
        "total": "1353.13",
        "currency": "USD",
    }


async def test_first_invoice_estimate_of_a_quarterly_cycle(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup, start_date="2027-02-01", billing_cycle="quarterly")
    # Q1 2027 is 90 days; 59 of them from 1 February: 4500.00 × 59/90 = 2950.00
    est = p["first_invoice_estimate"]
    assert (est["period_end"], est["recurring"], est["subtotal"]) == ("2027-04-01", "2950.00", "3450.00")


async def test_an_optional_package_activity_leaves_the_base_scope(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup, optional_items=[{"activity": "NIST cybersecurity review", "amount": "250.00"}])
    option = p["lines"][1]
    assert (option["id"], option["optional"], option["selected"], option["amount"]) == (
        "option-1",
        True,
        False,
        "250.00",
    )
    assert p["monthly_total"] == "1500.00"
    nist = [s for s in p["schedule_summary"] if s["name"] == "NIST cybersecurity review"]
    assert [(s["optional"], s["option_id"], s["occurrences"]) for s in nist] == [(True, "option-1", 2)]
    planned = {i["name"] for m in p["delivery_calendar"] for i in m["items"]}
    assert "NIST cybersecurity review" not in planned


async def test_extra_one_time_lines_add_to_the_one_time_total(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup, one_time_items=[{"description": "Microsoft 365 migration", "amount": "1200.00"}])
    assert [ln["id"] for ln in p["lines"]] == ["package", "onboarding", "one-time-1"]
    assert (p["one_time_total"], p["contract_value"]) == ("1700.00", "19700.00")


async def test_patching_a_draft_recomputes_it(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup)
    r = await client.patch(f"/v1/proposals/{p['id']}", json={"term_months": 24}, headers=auth())
    assert r.status_code == 200
    assert (r.json()["contract_value"], r.json()["schedule_summary"][1]["occurrences"]) == ("36500.00", 24)


async def test_sending_sets_a_link_and_a_default_validity(
    client: httpx.AsyncClient, setup: dict, nats_url: str
) -> None:
    p = await _new(client, setup)
    r = await client.post(f"/v1/proposals/{p['id']}/send", headers=auth())
    assert r.status_code == 200
    sent = r.json()
    assert (sent["status"], sent["valid_until"], sent["sent_at"]) == ("sent", "2027-02-03", "2027-01-04T15:00:00Z")
    token = sent["accept_url"].removeprefix("http://testserver/p/")
    assert len(token) == 43  # 32 random bytes, url-safe base64
    events = await await_published(nats_url, "vcio.proposals.proposal.sent", 1)
    assert [e["data"] for e in events] == [
        {
            "proposal_id": p["id"],
            "client_id": setup["client_id"],
            "version": 1,
            "currency": "USD",
            "monthly_total": "1500.00",
            "one_time_total": "500.00",
            "contract_value": "18500.00",
            "valid_until": "2027-02-03",
            "accept_url": sent["accept_url"],
        }
    ]


async def test_sending_twice_is_409(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup)
    await client.post(f"/v1/proposals/{p['id']}/send", headers=auth())
    assert (await client.post(f"/v1/proposals/{p['id']}/send", headers=auth())).status_code == 409


async def test_a_validity_in_the_past_cannot_be_sent(client: httpx.AsyncClient, setup: dict) -> None:
    p = await _new(client, setup)
    r = await client.post(f"/v1/proposals/{p['id']}/send", json={"valid_until": "2027-01-01"}, headers=auth())
    assert r.status_code == 422


async def test_a_sent_version_never_changes(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    r = await client.patch(f"/v1/proposals/{p['id']}", json={"term_months": 24}, headers=auth())
    assert r.status_code == 409


async def test_revise_makes_a_new_version_and_supersedes_the_old(
    client: httpx.AsyncClient, app: FastAPI, nats_url: str
) -> None:
    old = await sent_proposal(client, app)
    r = await client.post(
        f"/v1/proposals/{old['id']}/revise",
        json={"discount_percent": "10", "discount_reason": "Loyalty"},
        headers=auth(),
    )
    assert r.status_code == 201
    new = r.json()
    assert (new["version"], new["status"], new["supersedes_id"], new["monthly_total"]) == (
        2,
        "draft",
        old["id"],
        "1350.00",
    )
    before = (await client.get(f"/v1/proposals/{old['id']}", headers=auth())).json()
    assert (before["status"], before["superseded_by_id"], before["monthly_total"]) == (
        "superseded",
        new["id"],
        "1500.00",
    )
    events = await await_published(nats_url, "vcio.proposals.proposal.revised", 1)
    assert [e["data"]["previous_proposal_id"] for e in events] == [old["id"]]


async def test_a_superseded_or_draft_version_cannot_be_revised(client: httpx.AsyncClient, app: FastAPI) -> None:
    old = await sent_proposal(client, app)
    await client.post(f"/v1/proposals/{old['id']}/revise", headers=auth())
    assert (await client.post(f"/v1/proposals/{old['id']}/revise", headers=auth())).status_code == 409
    draft = (await client.get("/v1/proposals?status=draft", headers=auth())).json()["items"][0]
    assert (await client.post(f"/v1/proposals/{draft['id']}/revise", headers=auth())).status_code == 409


async def test_list_filters_by_client_and_status(client: httpx.AsyncClient, setup: dict) -> None:
    first = await _new(client, setup)
    other_client = await create_client(client, name="Beta Law")
    second = await create_proposal(client, other_client["id"], setup["package_id"])
    await client.post(f"/v1/proposals/{second['id']}/send", headers=auth())
    by_client = (await client.get(f"/v1/proposals?client_id={setup['client_id']}", headers=auth())).json()
    assert [p["id"] for p in by_client["items"]] == [first["id"]]
    sent = (await client.get("/v1/proposals?status=sent", headers=auth())).json()
    assert [p["id"] for p in sent["items"]] == [second["id"]]
    assert (await client.get("/v1/proposals?status=won", headers=auth())).status_code == 422
    page = (await client.get("/v1/proposals?limit=1", headers=auth())).json()
    assert [p["id"] for p in page["items"]] == [first["id"]] and page["next_cursor"]


async def test_another_tenants_proposal_is_not_found(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app, tenant="tenant-b")
    a = auth("tenant-a")
    for method, path in [
        ("GET", ""),
        ("PATCH", ""),
        ("POST", "/send"),
        ("POST", "/revise"),
        ("GET", "/pdf"),
        ("GET", "/document"),
    ]:
        r = await client.request(
            method, f"/v1/proposals/{p['id']}{path}", headers=a, json={} if method != "GET" else None
        )
        assert r.status_code == 404, (method, path, r.status_code)
    r = await client.post(
        f"/v1/proposals/{p['id']}/accept", headers=a, json={"signer_name": "Eve", "signer_email": "eve@example.com"}
    )
    assert r.status_code == 404
    assert (await client.get("/v1/proposals", headers=a)).json()["items"] == []


async def test_same_idempotency_key_creates_one_proposal(client: httpx.AsyncClient, setup: dict) -> None:
    body = {"client_id": setup["client_id"], "package_id": setup["package_id"], "start_date": "2027-02-01"}
    headers = {**auth(), "Idempotency-Key": "proposal-1"}
    first = await client.post("/v1/proposals", json=body, headers=headers)
    again = await client.post("/v1/proposals", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert len((await client.get("/v1/proposals", headers=auth())).json()["items"]) == 1


async def test_staff_record_a_paper_acceptance(client: httpx.AsyncClient, app: FastAPI, clock: FixedClock) -> None:
    p = await sent_proposal(client, app)
    clock.advance(days=2)
    r = await client.post(
        f"/v1/proposals/{p['id']}/accept",
        headers=auth(sub="alice"),
        json={
            "signer_name": "Dr. Ada Smith",
            "signer_email": "ada@acme-dental.example",
            "accepted_at": "2027-01-05T17:30:00+00:00",
        },
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["status"], got["accepted_at"], got["signer_name"]) == (
        "accepted",
        "2027-01-05T17:30:00Z",
        "Dr. Ada Smith",
    )
    assert got["acceptance"] == {"channel": "staff", "ip": None, "user_agent": None, "recorded_by": "alice"}
    assert len(got["document_sha256"]) == 64


async def test_staff_acceptance_in_the_future_is_refused(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    r = await client.post(
        f"/v1/proposals/{p['id']}/accept",
        headers=auth(),
        json={"signer_name": "Ada", "signer_email": "ada@acme-dental.example", "accepted_at": "2027-02-01T00:00:00Z"},
    )
    assert r.status_code == 422


async def test_bad_path_ids_and_query_values_are_422(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/proposals/123", headers=auth())).status_code == 422
    assert (await client.get("/v1/proposals?client_id=nope", headers=auth())).status_code == 422
    assert (await client.get("/v1/proposals?limit=201", headers=auth())).status_code == 422
    assert (await client.get("/v1/proposals?cursor=%%%", headers=auth())).status_code == 422


async def test_staff_cannot_record_an_acceptance_after_expiry(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock
) -> None:
    p = await sent_proposal(client, app)
    clock.advance(days=45)
    r = await client.post(
        f"/v1/proposals/{p['id']}/accept",
        headers=auth(),
        json={"signer_name": "Ada", "signer_email": "ada@acme-dental.example"},
    )
    assert r.status_code == 410


async def test_a_discount_without_a_reason_is_accepted_as_the_contract_allows(
    client: httpx.AsyncClient, setup: dict
) -> None:
    p = await _new(client, setup, discount_percent=10)
    assert (p["discount_percent"], p["discount_reason"], p["monthly_total"]) == ("10.00", None, "1350.00")
