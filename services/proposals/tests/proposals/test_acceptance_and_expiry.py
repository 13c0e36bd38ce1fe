import datetime as dt
from decimal import Decimal

import httpx
from fastapi import FastAPI

from proposals.main import EXPIRY
from services.proposals.tests.support import (
    await_published,
    create_client,
    create_proposal,
    package_event,
    path_of,
    seed,
    sent_proposal,
)
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth

SIGNER = {"signer_name": "Dr. Ada Smith", "signer_email": "ada@acme-dental.example"}


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


async def test_the_sweep_expires_proposals_past_validity_in_the_clients_time_zone(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, nats_url: str
) -> None:
    package_id = await seed(app, package_event())
    ids = {}
    for tz in ("Pacific/Auckland", "America/Los_Angeles"):
        c = await create_client(client, timezone=tz, name=tz)
        p = await create_proposal(client, c["id"], package_id)
        await client.post(f"/v1/proposals/{p['id']}/send", json={"valid_until": "2027-01-10"}, headers=auth())
        ids[tz] = p["id"]
    runtime = app.state.runtime
    clock.set(dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC))  # 11 January in Auckland, 10th in Los Angeles
    assert await runtime.run_sweep(EXPIRY) == 1
    statuses = {tz: (await client.get(f"/v1/proposals/{i}", headers=auth())).json()["status"] for tz, i in ids.items()}
    assert statuses == {"Pacific/Auckland": "expired", "America/Los_Angeles": "sent"}
    assert await runtime.run_sweep(EXPIRY) == 0
    clock.set(dt.datetime(2027, 1, 11, 8, 0, tzinfo=dt.UTC))  # midnight in Los Angeles
    assert await runtime.run_sweep(EXPIRY) == 1
    events = await await_published(nats_url, "vcio.proposals.proposal.expired", 2)
    assert sorted(e["data"]["proposal_id"] for e in events) == sorted(ids.values())


async def test_the_sweep_leaves_accepted_and_draft_proposals_alone(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock
) -> None:
    accepted = await sent_proposal(client, app)
    await client.post(f"{path_of(accepted['accept_url'])}/accept", json=SIGNER)
    draft = await create_proposal(client, accepted["client_id"], accepted["package"]["id"])
    clock.advance(days=90)
    assert await app.state.runtime.run_sweep(EXPIRY) == 0
    assert (await client.get(f"/v1/proposals/{draft['id']}", headers=auth())).json()["status"] == "draft"


async def test_the_sweep_is_skipped_while_another_replica_holds_its_lock(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock
) -> None:
    from vcio_shared.db import advisory_xact_lock

    p = await sent_proposal(client, app)
    clock.advance(days=40)
    runtime = app.state.runtime
    async with runtime.sessionmaker() as other, other.begin():
        assert await advisory_xact_lock(other, "proposals:expire-proposals")
        assert await runtime.run_sweep(EXPIRY) is None
    assert await runtime.run_sweep(EXPIRY) == 1
    assert (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()["status"] == "expired"


async def test_pipeline_figures_per_tenant(client: httpx.AsyncClient, app: FastAPI, clock: FixedClock) -> None:
    won = await sent_proposal(client, app)
    package_id, client_id = won["package"]["id"], won["client_id"]
    clock.advance(days=3)
    await client.post(f"{path_of(won['accept_url'])}/accept", json=SIGNER)  # 3 days after sending
    lost = await create_proposal(client, client_id, package_id)
    lost = (await client.post(f"/v1/proposals/{lost['id']}/send", headers=auth())).json()
    await client.post(f"{path_of(lost['accept_url'])}/decline", json={"reason": "too dear"})
    for term in (24, 36):
        open_ = await create_proposal(client, client_id, package_id, term_months=term)
        await client.post(f"/v1/proposals/{open_['id']}/send", headers=auth())
    await create_proposal(client, client_id, package_id)  # a draft is not in the pipeline
    await sent_proposal(client, app, tenant="tenant-b")
    r = await client.get("/v1/pipeline", headers=auth())
    assert r.status_code == 200
    assert r.json() == {
        "items": [
            {
                "currency": "USD",
                "open_proposals": 2,
                "open_pipeline_value": "91000.00",
                "accepted": 1,
                "declined": 1,
                "expired": 0,
                "won_value": "18500.00",
                "win_rate_percent": "50.00",
                "average_time_to_accept_seconds": 259200,
                "average_days_to_accept": "3.00",
            }
        ]
    }


async def test_pipeline_of_a_new_tenant_is_empty(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/pipeline", headers=auth("tenant-new"))).json() == {"items": []}


async def test_every_change_is_audited(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    await client.get(path_of(p["accept_url"]))
    await client.post(f"{path_of(p['accept_url'])}/accept", json=SIGNER)
    audit = (await client.get(f"/v1/audit?entity_id={p['id']}", headers=auth())).json()["items"]
    assert [(a["action"], a["actor"]) for a in audit] == [
        ("proposal.created", "tester"),
        ("proposal.sent", "tester"),
        ("proposal.viewed", "client"),
        ("proposal.accepted", "client:ada@acme-dental.example"),
    ]
