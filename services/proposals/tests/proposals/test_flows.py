"""A proposal after its draft: send, revise, staff acceptance, and the accepted event billing and the scheduler read."""

from decimal import Decimal

import httpx
from fastapi import FastAPI

from services.proposals.tests.support import (
    SIGNER,
    await_published,
    create_client,
    create_proposal,
    path_of,
    sent_proposal,
)
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth


async def _new(client: httpx.AsyncClient, setup: dict, **overrides) -> dict:
    return await create_proposal(client, setup["client_id"], setup["package_id"], **overrides)


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


# long: the whole accepted event, stated field by field as billing and the scheduler read it
async def test_the_accepted_event_carries_what_billing_and_scheduler_need(
    client: httpx.AsyncClient, app: FastAPI, nats_url: str
) -> None:
    p = await sent_proposal(
        client,
        app,
        discount_percent="10",
        discount_reason="Loyalty",
        optional_items=[
            {"activity": "NIST cybersecurity review", "amount": "250.00"},
            {"description": "After-hours support", "amount": "99.99"},
        ],
        one_time_items=[{"description": "Microsoft 365 migration", "amount": "1200.00"}],
    )
    r = await client.post(f"{path_of(p['accept_url'])}/accept", json={**SIGNER, "selected_options": ["option-1"]})
    assert r.status_code == 200
    [event] = await await_published(nats_url, "vcio.proposals.proposal.accepted", 1)
    data = event["data"]
    assert data["client"] == {
        "id": p["client_id"],
        "name": "Acme Dental",
        "email": "office@acme-dental.example",
        "timezone": "America/New_York",
        "currency": "USD",
        "tax_rate": "8.25",
        "payment_terms_days": 30,
    }
    assert data["package"] == {"id": p["package"]["id"], "version": 1, "name": "vCIO Essentials", "tier": "Essentials"}
    assert data["recurring_lines"] == [
        {"description": "vCIO Essentials (Essentials)", "amount": "1350.00"},
        {"description": "Add-on: NIST cybersecurity review", "amount": "225.00"},
    ]
    assert data["one_time_lines"] == [
        {"description": "Onboarding", "amount": "500.00"},
        {"description": "Microsoft 365 migration", "amount": "1200.00"},
    ]
    assert (data["monthly_total"], data["one_time_total"], data["contract_value"]) == ("1575.00", "1700.00", "20600.00")
    assert sum(Decimal(ln["amount"]) for ln in data["recurring_lines"]) == Decimal(data["monthly_total"])
    assert sum(Decimal(ln["amount"]) for ln in data["one_time_lines"]) == Decimal(data["one_time_total"])
    assert [a["name"] for a in data["activities"]] == [
        "Quarterly business review",
        "Monthly ticket review",
        "Annual IT roadmap",
        "NIST cybersecurity review",
    ]
    assert data["activities"][0] == {
        "name": "Quarterly business review",
        "category": "it_strategy",
        "track": "business",
        "billing_mode": "billable",
        "cadence": "FREQ=MONTHLY;INTERVAL=3",
        "role": "vcio",
        "effort_hours": "4",
        "deliverable": "QBR deck",
    }
    assert (data["start_date"], data["term_months"], data["billing_cycle"], data["discount_percent"]) == (
        "2027-02-01",
        12,
        "monthly",
        "10.00",
    )
    assert (data["signer_name"], data["signer_email"], data["accepted_at"]) == (
        "Dr. Ada Smith",
        "ada@acme-dental.example",
        "2027-01-04T15:00:00+00:00",
    )
    assert data["document_sha256"] == r.json()["document_sha256"]
    assert event["subject"] == p["id"] and event["source"] == "/vcio/proposals"


async def test_an_unticked_optional_activity_is_not_delivered(
    client: httpx.AsyncClient, app: FastAPI, nats_url: str
) -> None:
    p = await sent_proposal(client, app, optional_items=[{"activity": "NIST cybersecurity review", "amount": "250.00"}])
    await client.post(f"{path_of(p['accept_url'])}/accept", json=SIGNER)
    [event] = await await_published(nats_url, "vcio.proposals.proposal.accepted", 1)
    assert "NIST cybersecurity review" not in [a["name"] for a in event["data"]["activities"]]
    assert event["data"]["monthly_total"] == "1500.00"
