"""Events strategy consumes from billing: invoices (what was invoiced, what is owed) and agreements (the MRR)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.invoices import repository
from vcio_shared import money
from vcio_shared.clock import SYSTEM_CLOCK, Clock
from vcio_shared.consumers import PoisonEvent
from vcio_shared.events import CloudEvent

INVOICE = ("vcio.billing.invoice.issued", "vcio.billing.invoice.paid", "vcio.billing.invoice.voided")
AGREEMENT = (
    "vcio.billing.agreement.activated",
    "vcio.billing.agreement.changed",
    "vcio.billing.agreement.renewed",
    "vcio.billing.agreement.cancelled",
)
SUBJECTS = INVOICE + AGREEMENT


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value else None


def _money(data: Mapping[str, Any], name: str, currency: str, default: int | None = None) -> int:
    if data.get(name) is None and default is not None:
        return default
    return money.parse(str(data[name]), currency, allow_negative=True)


async def _invoice(session: AsyncSession, tenant: str, kind: str, data: Mapping[str, Any]) -> None:
    currency = str(data["currency"])
    total = _money(data, "total", currency)
    status = {"issued": "issued", "paid": "paid", "voided": "voided"}[kind]
    invoice_id = uuid.UUID(str(data["id"]))
    row: dict[str, Any] = {
        "tenant_id": tenant,
        "id": invoice_id,
        "client_id": uuid.UUID(str(data["client_id"])),
        "number": str(data["number"]),
        "status": status,
        "issue_date": _date(data["issue_date"]),
        "period_start": _date(data.get("period_start")),
        "period_end": _date(data.get("period_end")),
        "currency": currency,
        "total": total,
        "amount_due": 0 if status == "voided" else _money(data, "amount_due", currency, total),
    }
    if row["issue_date"] is None:
        raise ValueError("an invoice needs its issue_date")
    current = await repository.get_invoice(session, tenant, invoice_id)
    if current is not None and repository.RANK.get(current["status"], 0) > repository.RANK[status]:
        return  # a late event of an earlier state
    await repository.put_invoice(session, row)


async def _activated(session: AsyncSession, tenant: str, data: Mapping[str, Any]) -> None:
    currency = str(data["currency"])
    row = {
        "tenant_id": tenant,
        "id": uuid.UUID(str(data.get("agreement_id") or data["id"])),
        "client_id": uuid.UUID(str(data["client"]["id"] if "client" in data else data["client_id"])),
        "currency": currency,
        "monthly_amount": _money(data, "monthly_amount", currency),
        "start_date": _date(data["start_date"]),
        "end_date": _date(data.get("end_date")),
    }
    await repository.put_agreement(session, row)


async def _later(session: AsyncSession, tenant: str, kind: str, data: Mapping[str, Any]) -> None:
    """changed (a new monthly amount), renewed (a new end), cancelled (from its effective date)."""
    agreement_id = uuid.UUID(str(data["agreement_id"]))
    current = await repository.get_agreement(session, tenant, agreement_id)
    if current is None:
        return  # an agreement strategy never saw activated (from before it listened): no MRR of it to keep
    values: dict[str, Any]
    if kind == "changed":
        values = {"monthly_amount": _money(data, "monthly_amount", str(data["currency"])), "currency": data["currency"]}
    elif kind == "renewed":
        values = {"end_date": _date(data["end_date"])}
    else:
        values = {"cancelled_from": _date(data["effective_date"])}
    await repository.update_agreement(session, tenant, agreement_id, values)


async def handle_billing_event(session: AsyncSession, event: CloudEvent, clock: Clock = SYSTEM_CLOCK) -> None:
    """Invoices and agreements, keyed by the event's tenant and billing's ids (a redelivery writes the same)."""
    kind = event.type.rsplit(".", 1)[-1]
    handlers: dict[str, Callable[[], Any]] = {
        **{t: lambda: _invoice(session, event.tenantid, kind, event.data) for t in INVOICE},
        "vcio.billing.agreement.activated": lambda: _activated(session, event.tenantid, event.data),
    }
    try:
        work = handlers.get(event.type) or (lambda: _later(session, event.tenantid, kind, event.data))
        await work()
    except (KeyError, ValueError, TypeError, money.MoneyError) as exc:
        raise PoisonEvent(f"invalid {event.type}: {exc}") from exc
