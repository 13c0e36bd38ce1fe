"""Test helpers: accepted proposals through the real consumer path, runs, compact invoice views."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from nats.js.api import DeliverPolicy

from billing.main import SPEC
from vcio_shared.bus import handle_once
from vcio_shared.events import CloudEvent, build, decode, encode
from vcio_shared.ids import uuid7
from vcio_shared.testing import auth

PROPOSALS = next(c for c in SPEC.consumers if c.name == "billing--proposals")
SCHEDULER = next(c for c in SPEC.consumers if c.name == "billing--scheduler")


def accepted(
    tenant: str = "tenant-a",
    *,
    start: str = "2027-01-01",
    cycle: str = "monthly",
    monthly: str = "1500.00",
    term: int = 12,
    currency: str = "USD",
    one_time: list[tuple[str, str]] | None = None,
    tax_rate: str = "0",
    terms_days: int = 30,
    client_id: uuid.UUID | None = None,
    proposal_id: uuid.UUID | None = None,
) -> CloudEvent:
    one_time = one_time or []
    digits = 0 if currency == "JPY" else 2
    total = sum((__import__("decimal").Decimal(a) for _, a in one_time), __import__("decimal").Decimal(0))
    data = {
        "proposal_id": str(proposal_id or uuid7()),
        "client": {
            "id": str(client_id or uuid7()),
            "name": "Acme Dental",
            "email": "ops@acme.test",
            "timezone": "America/Chicago",
            "currency": currency,
            "tax_rate": tax_rate,
            "payment_terms_days": terms_days,
        },
        "package": {"id": str(uuid7()), "version": 1, "name": "vCIO Growth", "tier": "growth"},
        "currency": currency,
        "monthly_total": monthly,
        "one_time_total": f"{total:.{digits}f}",
        "discount_percent": "0",
        "start_date": start,
        "term_months": term,
        "billing_cycle": cycle,
        "recurring_lines": [{"description": "vCIO Growth", "amount": monthly}],
        "one_time_lines": [{"description": d, "amount": a} for d, a in one_time],
        "activities": [
            {
                "name": "Quarterly business review",
                "category": "it_strategy",
                "track": "business",
                "billing_mode": "billable",
                "cadence": "FREQ=MONTHLY;INTERVAL=3",
                "role": "vcio",
                "effort_hours": "2.5",
                "deliverable": "QBR deck",
            }
        ],
        "accepted_at": "2026-12-20T10:00:00+00:00",
        "signer_name": "Dana",
        "signer_email": "dana@acme.test",
        "document_sha256": "ab" * 32,
    }
    event = build("proposals", "vcio.proposals.proposal.accepted", tenant, data)
    return event


async def accept(app: FastAPI, event: CloudEvent) -> bool:
    """Handle an event through the consumer's real unit of work (inbox row + effects), without the bus."""
    return await handle_once(app.state.runtime.sessionmaker, PROPOSALS, event)


async def agreement_for(client: httpx.AsyncClient, event: CloudEvent) -> dict[str, Any]:
    r = await client.get(
        "/v1/agreements", params={"proposal_id": event.data["proposal_id"]}, headers=auth(event.tenantid)
    )
    items = r.json()["items"]
    assert len(items) == 1
    return items[0]


async def run(
    client: httpx.AsyncClient, as_of: dt.date | str, tenant: str = "tenant-a", **extra: Any
) -> dict[str, Any]:
    r = await client.post("/v1/billing-runs", json={"as_of": str(as_of), **extra}, headers=auth(tenant))
    assert r.status_code in (200, 201), r.text
    return r.json()


async def invoices(client: httpx.AsyncClient, tenant: str = "tenant-a", **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        q = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/v1/invoices", params=q, headers=auth(tenant))).json()
        out.extend(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return out


def lines(invoice: dict[str, Any]) -> list[tuple[str | None, str | None, str]]:
    """(start, end, amount) of each line: what a Kill Bill-style test states."""
    return [(ln["period_start"], ln["period_end"], ln["amount"]) for ln in invoice["lines"]]


SEED_SQL = """
INSERT INTO clients (id, tenant_id, name, email, timezone, currency, tax_rate, payment_terms_days)
VALUES (%(client)s, %(tenant)s, 'Bulk client', 'bulk@example.test', 'UTC', %(currency)s, '0', 30)
ON CONFLICT DO NOTHING;
INSERT INTO agreements (id, tenant_id, proposal_id, client_id, package_name, status, start_date, end_date, term_start,
  term_months, term_number, billing_cycle, currency, monthly_amount, one_time_amount, price_schedule, one_time_lines,
  recurring_lines, activities, auto_renew, next_bill_date, created_at, updated_at)
SELECT CAST(lpad(to_hex(CAST(%(ms)s AS bigint)), 12, '0') || '70008' || lpad(to_hex(g), 7, '0')
            || substr(md5(random()::text), 1, 8) AS uuid),
  %(tenant)s, gen_random_uuid(), %(client)s, 'vCIO Growth', 'active', %(start)s,
  %(end)s, %(start)s, %(term)s, 1, %(cycle)s, %(currency)s, CAST(%(monthly)s AS bigint) + g, 0,
  jsonb_build_array(jsonb_build_object('from', CAST(%(start_text)s AS text),
                                       'monthly_amount', CAST(%(monthly)s AS bigint) + g)),
  '[]'::jsonb, '[]'::jsonb, '[]'::jsonb, true, %(start)s, now(), now()
FROM generate_series(1, %(count)s) AS g;
INSERT INTO tenant_settings (tenant_id, auto_run_enabled) VALUES (%(tenant)s, false) ON CONFLICT DO NOTHING;
"""


def seed(
    database_url: str,
    count: int,
    *,
    tenant: str = "tenant-a",
    start: dt.date = dt.date(2027, 1, 1),
    term: int = 12,
    cycle: str = "monthly",
    monthly: int = 150000,
    currency: str = "USD",
) -> None:
    """Many agreements at once, straight into billing's own tables (for the crash and timing checks)."""
    import psycopg

    from billing.runs.engine import term_end
    from vcio_shared.settings import to_driver_url

    url = to_driver_url(database_url, "psycopg").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url, autocommit=True) as conn:
        params = {
            "client": uuid7(),
            "tenant": tenant,
            "currency": currency,
            "start": start,
            "end": term_end(start, term),
            "term": term,
            "cycle": cycle,
            "monthly": monthly,
            "start_text": start.isoformat(),
            "count": count,
            # Ids shaped like the uuid7() the service gives agreements: time-ordered, in creation order.
            "ms": time.time_ns() // 1_000_000,
        }
        for statement in SEED_SQL.split(";"):
            if statement.strip():
                conn.execute(statement, params)


async def stream_events(js: Any, subject: str) -> list[CloudEvent]:
    """Every message on `subject` in the BILLING stream, oldest first, decoded; each carries its event id as
    `Nats-Msg-Id`. The stream is the event log: the relay deletes outbox rows once JetStream has them."""
    info = await js.stream_info("BILLING", subjects_filter=subject)
    if not (info.state.subjects or {}).get(subject):
        return []
    sub = await js.subscribe(subject, stream="BILLING", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    events = []
    try:
        while True:
            msg = await sub.next_msg(timeout=10)
            events.append(decode(msg.data, subject=msg.subject))
            assert msg.headers["Nats-Msg-Id"] == events[-1].id
            if msg.metadata.num_pending == 0:
                return events
    finally:
        await sub.unsubscribe()


PAID_AT = "2027-01-20T10:00:00+00:00"


async def one_invoice(app: FastAPI, client: httpx.AsyncClient, tenant: str = "tenant-a", **kw: Any) -> dict[str, Any]:
    """A 1500.00 monthly agreement from January 2027, billed once: its one invoice."""
    await accept(app, accepted(tenant, start="2027-01-01", monthly="1500.00", **kw))
    await run(client, dt.date(2027, 1, 1), tenant)
    [inv] = await invoices(client, tenant)
    return inv


async def publish(js: Any, event: CloudEvent, msg_id: str | None = None) -> None:
    """As another service publishes: the event's id is its Nats-Msg-Id unless `msg_id` says otherwise."""
    await js.publish(event.type, encode(event), headers={"Nats-Msg-Id": msg_id or event.id})


async def agreements(client: httpx.AsyncClient, tenant: str = "tenant-a") -> list[dict]:
    return (await client.get("/v1/agreements", headers=auth(tenant))).json()["items"]
