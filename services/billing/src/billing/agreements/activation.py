"""The `billing--proposals` consumer's rules: an accepted proposal becomes exactly one agreement, and a client's
updates keep billing's copy current."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as repo
from billing.agreements.schemas import ClientData, ProposalAccepted
from billing.agreements.service import SERVICE, agreement_out, client_brief, event_data
from vcio_shared import audit, events, money
from vcio_shared.bus import PoisonEvent
from vcio_shared.dates import term_end
from vcio_shared.ids import uuid7


def _tax_rate(value: str | None) -> str:
    try:
        rate = Decimal(value or "0")
    except InvalidOperation as exc:
        raise ValueError(f"bad tax_rate {value!r}") from exc
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise ValueError(f"bad tax_rate {value!r}")
    return str(rate)


def client_values(c: ClientData) -> dict[str, Any]:
    ZoneInfo(c.timezone)  # an unknown zone is poison
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "timezone": c.timezone,
        "currency": c.currency,
        "tax_rate": _tax_rate(c.tax_rate),
        "payment_terms_days": 30 if c.payment_terms_days is None else c.payment_terms_days,
    }


def _amounts(p: ProposalAccepted) -> tuple[int, int, list[dict[str, Any]], dict[str, Any]]:
    """The monthly and one-time amounts in minor units, the one-time lines and the client's row: or poison."""
    try:
        money.check_currency(p.currency)
        monthly = money.parse(p.monthly_total, p.currency)
        one_time_lines: list[dict[str, Any]] = [
            {"description": x.description, "amount": money.parse(x.amount, p.currency)} for x in p.one_time_lines
        ]
        one_time = money.parse(p.one_time_total, p.currency)
        client = client_values(p.client)
    except (money.MoneyError, ValueError, KeyError) as exc:
        raise PoisonEvent(f"invalid proposal.accepted: {exc}") from exc
    if not one_time_lines and one_time:
        one_time_lines = [{"description": "One-time fees", "amount": one_time}]
    if sum(int(x["amount"]) for x in one_time_lines) != one_time:
        raise PoisonEvent("one_time_lines do not add up to one_time_total")
    return monthly, one_time, one_time_lines, client


def _agreement_row(
    p: ProposalAccepted, tenant_id: str, monthly: int, one_time: int, one_time_lines: list[dict[str, Any]]
) -> dict[str, Any]:
    """The new agreement's row, in its first term (`created_at`/`updated_at` are the caller's)."""
    return {
        "id": uuid7(),
        "tenant_id": tenant_id,
        "proposal_id": p.proposal_id,
        "client_id": p.client.id,
        "package_id": p.package.id,
        "package_version": p.package.version,
        "package_name": p.package.name,
        "package_tier": p.package.tier,
        "status": "active",
        "start_date": p.start_date,
        "end_date": term_end(p.start_date, p.term_months),
        "term_start": p.start_date,
        "term_months": p.term_months,
        "term_number": 1,
        "billing_cycle": p.billing_cycle,
        "currency": p.currency,
        "monthly_amount": monthly,
        "one_time_amount": one_time,
        "discount_percent": p.discount_percent,
        "price_schedule": [{"from": p.start_date.isoformat(), "monthly_amount": monthly}],
        "recurring_lines": [x.model_dump() for x in p.recurring_lines],
        "one_time_lines": one_time_lines,
        "activities": p.activities,
        "auto_renew": p.auto_renew,
        "next_bill_date": p.start_date,
        "accepted_at": p.accepted_at,
        "signer_name": p.signer_name,
        "signer_email": p.signer_email,
        "document_sha256": p.document_sha256,
    }


async def activate_from_proposal(
    session: AsyncSession, tenant_id: str, data: Mapping[Any, Any], event_id: str, now: dt.datetime
) -> bool:
    """proposal.accepted → exactly one agreement (the unique key holds whatever the redeliveries)."""
    p = ProposalAccepted.model_validate(data)
    monthly, one_time, one_time_lines, client = _amounts(p)
    owner = await repo.client_owner(session, p.client.id)
    if owner is not None and owner != tenant_id:
        raise PoisonEvent("the client belongs to another tenant")
    owner = await repo.proposal_owner(session, p.proposal_id)
    if owner is not None and owner != tenant_id:
        raise PoisonEvent("the proposal belongs to another tenant")
    await repo.upsert_client(session, tenant_id, client)
    if owner is not None:
        return False  # this proposal already has its agreement
    values = _agreement_row(p, tenant_id, monthly, one_time, one_time_lines)
    values.update(created_at=now, updated_at=now)
    if not await repo.insert_agreement(session, values):
        return False
    agreement_id = values["id"]
    await repo.add_movement(session, tenant_id, agreement_id, p.currency, p.start_date, "new", monthly)
    await repo.set_churn(session, tenant_id, agreement_id, p.currency, values["end_date"], -monthly)
    row = await repo.get(session, tenant_id, agreement_id)
    assert row is not None
    out = event_data(agreement_out(row))
    out.update(
        agreement_id=out["id"],
        client=client_brief(client, p.client.id),
        package={k: out["package"][k] for k in ("id", "version", "name")},
    )
    await events.emit(session, SERVICE, "vcio.billing.agreement.activated", tenant_id, out, subject=out["id"])
    await audit.record(
        session,
        f"event:{event_id}",
        "agreement.activated",
        "agreement",
        agreement_id,
        {"proposal_id": str(p.proposal_id)},
        tenant_id=tenant_id,
    )
    return True


async def update_client(session: AsyncSession, tenant_id: str, data: Mapping[Any, Any]) -> None:
    """client.updated: keep tax rate, terms and contact current; a client of another tenant is poison."""
    c = ClientData.model_validate(data)
    owner = await repo.client_owner(session, c.id)
    if owner is not None and owner != tenant_id:
        raise PoisonEvent("the client belongs to another tenant")
    try:
        values = client_values(c)
    except (ValueError, KeyError) as exc:
        raise PoisonEvent(f"invalid client: {exc}") from exc
    await repo.upsert_client(session, tenant_id, values)
