"""Composing a draft: lines, totals, scope, the calendar, auto-renewal and the checks on its terms."""

import httpx
from fastapi import FastAPI

from services.proposals.tests.support import (
    ENDS,
    RENEWS,
    SIGNER,
    await_published,
    create_client,
    create_proposal,
    package_event,
    path_of,
    seed,
)
from vcio_shared.testing import auth


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


async def test_auto_renew_defaults_to_true_can_be_changed_and_reaches_the_accepted_event(
    client: httpx.AsyncClient, app: FastAPI, nats_url: str
) -> None:
    package_id = await seed(app, package_event())
    c = await create_client(client)
    assert (await create_proposal(client, c["id"], package_id))["auto_renew"] is True
    p = await create_proposal(client, c["id"], package_id, auto_renew=False, start_date="2027-01-01")
    assert (p["auto_renew"], p["renewal_terms"]) == (False, ENDS)
    r = await client.patch(f"/v1/proposals/{p['id']}", json={"auto_renew": None}, headers=auth())
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "auto_renew"]
    r = await client.patch(f"/v1/proposals/{p['id']}", json={"auto_renew": True}, headers=auth())
    assert (r.json()["auto_renew"], r.json()["renewal_terms"]) == (True, RENEWS)
    r = await client.patch(f"/v1/proposals/{p['id']}", json={"auto_renew": False}, headers=auth())
    sent = (await client.post(f"/v1/proposals/{p['id']}/send", headers=auth())).json()
    assert (await client.post(f"{path_of(sent['accept_url'])}/accept", json=SIGNER)).status_code == 200
    [event] = await await_published(nats_url, "vcio.proposals.proposal.accepted", 1)
    assert event["data"]["auto_renew"] is False
    assert (event["data"]["start_date"], event["data"]["end_date"]) == ("2027-01-01", "2028-01-01")  # API: exclusive
