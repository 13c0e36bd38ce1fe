"""Test helpers for the proposals suite: catalog events, seeding, reading what we published on JetStream."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from typing import Any

import httpx
import nats
import orjson
from fastapi import FastAPI
from nats.js.api import StreamConfig
from pypdf import PdfReader

from proposals.main import CATALOG_CONSUMER as CONSUMER
from vcio_shared.bus import handle_once
from vcio_shared.events import CloudEvent, build
from vcio_shared.testing import auth, eventually

ACTIVITIES = [
    {
        "name": "Quarterly business review",
        "category": "it_strategy",
        "track": "business",
        "billing_mode": "billable",
        "cadence": "FREQ=MONTHLY;INTERVAL=3",
        "role": "vcio",
        "effort_hours": "4",
        "deliverable": "QBR deck",
    },
    {
        "name": "Monthly ticket review",
        "category": "account_management",
        "track": "technical",
        "billing_mode": "included",
        "cadence": "FREQ=MONTHLY",
        "role": "technical_account_manager",
        "effort_hours": "1.5",
        "deliverable": None,
    },
    {
        "name": "Annual IT roadmap",
        "category": "it_strategy",
        "track": "business",
        "billing_mode": "billable",
        "cadence": "FREQ=YEARLY",
        "role": "vcio",
        "effort_hours": "8",
        "deliverable": "Roadmap",
    },
    {
        "name": "NIST cybersecurity review",
        "category": "cybersecurity",
        "track": "technical",
        "billing_mode": "included",
        "cadence": "FREQ=MONTHLY;INTERVAL=6",
        "role": "technical_account_manager",
        "effort_hours": "6",
        "deliverable": "NIST CSF scorecard",
    },
]


def package_event(
    tenant: str = "tenant-a",
    *,
    package_id: uuid.UUID | None = None,
    version: int = 1,
    monthly_price: str = "1500.00",
    onboarding_fee: str = "500.00",
    term_months: int = 12,
    billing_cycle: str = "monthly",
    currency: str = "USD",
    name: str = "vCIO Essentials",
    activities: list[dict[str, Any]] | None = None,
) -> CloudEvent:
    data = {
        "id": str(package_id or uuid.uuid4()),
        "version": version,
        "status": "published",
        "name": name,
        "tier": "Essentials",
        "description": "Strategy for small professional services firms.",
        "currency": currency,
        "monthly_price": monthly_price,
        "billing_cycle": billing_cycle,
        "term_months": term_months,
        "onboarding_fee": onboarding_fee,
        "contract_value": "18500.00",
        "published_at": "2027-01-02T10:00:00+00:00",
        "activities": ACTIVITIES if activities is None else activities,
    }
    return build("catalog", "vcio.catalog.package.published", tenant, data)


def retired_event(tenant: str, package_id: str, version: int = 1) -> CloudEvent:
    return build(
        "catalog",
        "vcio.catalog.package.retired",
        tenant,
        {"package_id": package_id, "version": version, "retired_at": "2027-01-03T10:00:00+00:00"},
    )


async def seed(app: FastAPI, event: CloudEvent) -> str:
    """Hand an event to the consumer's handler in its own transaction, as the consumer runner does."""
    await handle_once(app.state.runtime.sessionmaker, CONSUMER, event)
    return str(event.data.get("id") or event.data.get("package_id"))


async def ensure_catalog_stream(url: str) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name="CATALOG", subjects=["vcio.catalog.>"], duplicate_window=120.0))
    finally:
        await nc.close()


async def publish(url: str, event: CloudEvent, msg_id: str | None = None) -> None:
    from vcio_shared.events import encode

    nc = await nats.connect(url)
    try:
        await nc.jetstream().publish(event.type, encode(event), headers={"Nats-Msg-Id": msg_id or event.id})
    finally:
        await nc.close()


async def published(url: str, type_: str) -> list[dict[str, Any]]:
    """Every event of a type this service has put on its PROPOSALS stream so far (whole CloudEvents)."""
    return await asyncio.wait_for(_published(url, type_), timeout=5)


async def await_published(url: str, type_: str, count: int) -> list[dict[str, Any]]:
    """Wait until `count` events of a type are on the stream (the relay publishes after commit), then return them."""

    async def enough() -> list[dict[str, Any]] | None:
        found = await published(url, type_)
        return found if len(found) >= count else None

    found: list[dict[str, Any]] = await eventually(enough)
    return found


async def _published(url: str, type_: str) -> list[dict[str, Any]]:
    nc = await nats.connect(url)
    out = []
    try:
        js = nc.jetstream()
        try:
            sub = await js.pull_subscribe(type_, stream="PROPOSALS")
        except Exception:
            return []
        while True:
            try:
                msgs = await sub.fetch(100, timeout=0.3)
            except Exception:
                break
            for m in msgs:
                out.append(orjson.loads(m.data))
                await m.ack()
        await sub.unsubscribe()
    finally:
        await nc.close()
    return out


async def create_client(client: httpx.AsyncClient, tenant: str = "tenant-a", **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Acme Dental",
        "email": "office@acme-dental.example",
        "timezone": "America/New_York",
        "tax_rate": "8.25",
        **overrides,
    }
    r = await client.post("/v1/clients", json=body, headers=auth(tenant))
    assert r.status_code == 201, r.text
    return r.json()


async def create_proposal(
    client: httpx.AsyncClient, client_id: str, package_id: str, tenant: str = "tenant-a", **overrides: Any
) -> dict[str, Any]:
    body = {"client_id": client_id, "package_id": package_id, "start_date": "2027-02-01", **overrides}
    r = await client.post("/v1/proposals", json=body, headers=auth(tenant))
    assert r.status_code == 201, r.text
    return r.json()


async def sent_proposal(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: str = "tenant-a",
    package: CloudEvent | None = None,
    client_overrides: dict[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A client, a package and a proposal sent to that client: the usual start of a page test."""
    package_id = await seed(app, package or package_event(tenant))
    c = await create_client(client, tenant, **(client_overrides or {}))
    p = await create_proposal(client, c["id"], package_id, tenant, **overrides)
    r = await client.post(f"/v1/proposals/{p['id']}/send", headers=auth(tenant))
    assert r.status_code == 200, r.text
    return r.json()


def path_of(accept_url: str) -> str:
    return "/p/" + accept_url.rsplit("/p/", 1)[1]


SIGNER = {"signer_name": "Dr. Ada Smith", "signer_email": "ada@acme-dental.example"}
TERMS_A = "1. Fees are due within 30 days.\n2. Either party may end this agreement for cause."
TERMS_B = "1. Fees are due within 15 days."
PROFILE = {
    "name": "Northwind IT",
    "legal_name": "Northwind IT Services LLC",
    "email": "billing@northwind.example",
    "phone": "+1 312 555 0100",
    "website": "https://northwind.example",
    "address": "200 W Madison St\nSuite 400\nChicago, IL 60606",
    "tax_id": "36-1234567",
    "payment_instructions": "ACH to First Bank\nRouting 071000013\nAccount 1234567",
    "terms": TERMS_A,
}
RENEWS = (
    "This agreement renews automatically for another 12 months unless either party gives notice before "
    "31 December 2027."
)
ENDS = "This agreement ends on 31 December 2027 and does not renew automatically."


def pdf_text(pdf: bytes) -> str:
    """A PDF's text, white space folded."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


async def document_of(client: httpx.AsyncClient, proposal_id: str) -> tuple[bytes, dict[str, Any]]:
    """A proposal's frozen document: its bytes and its JSON."""
    body = (await client.get(f"/v1/proposals/{proposal_id}/document", headers=auth())).content
    return body, json.loads(body)
