"""Agreement rules: activation from an accepted proposal, cancellation with credit, mid-term change, renewal."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as repo
from billing.invoices import repository as invoices_repo
from billing.invoices import service as invoices
from billing.runs import engine
from billing.tenants import repository as tenants_repo
from vcio_shared import audit, events, money
from vcio_shared.auth import Principal
from vcio_shared.bus import PoisonEvent
from vcio_shared.errors import Conflict, NotFound, Unprocessable
from vcio_shared.ids import uuid7

SERVICE = "billing"


# ---- what proposal.accepted carries (docs/events.md) -------------------------------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ClientData(_Loose):
    id: uuid.UUID
    name: str
    email: str = ""
    timezone: str = "UTC"
    currency: str | None = None
    tax_rate: str | None = "0"
    payment_terms_days: int | None = Field(default=30, ge=0, le=3650)


class PackageData(_Loose):
    id: uuid.UUID | None = None
    version: int | None = None
    name: str
    tier: str | None = None


class AmountLine(_Loose):
    description: str
    amount: str


class AcceptedProposal(_Loose):
    proposal_id: uuid.UUID
    client: ClientData
    package: PackageData
    currency: str
    monthly_total: str
    one_time_total: str = "0"
    discount_percent: str | None = None
    start_date: dt.date
    term_months: int = Field(ge=1, le=120)
    billing_cycle: str = Field(pattern="^(monthly|quarterly|annual)$")
    recurring_lines: list[AmountLine] = []
    one_time_lines: list[AmountLine] = []
    activities: list[dict[str, Any]] = []
    accepted_at: dt.datetime | None = None
    signer_name: str | None = None
    signer_email: str | None = None
    document_sha256: str | None = None
    auto_renew: bool = True


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


# ---- answers ------------------------------------------------------------------------------------------------


def agreement_out(row: Mapping[Any, Any]) -> dict[str, Any]:
    cur = row["currency"]
    return {
        "id": str(row["id"]),
        "proposal_id": str(row["proposal_id"]),
        "client_id": str(row["client_id"]),
        "status": row["status"],
        "start_date": row["start_date"].isoformat(),
        "end_date": row["end_date"].isoformat(),
        "term_start": row["term_start"].isoformat(),
        "term_months": row["term_months"],
        "term_number": row["term_number"],
        "billing_cycle": row["billing_cycle"],
        "monthly_amount": money.format(row["monthly_amount"], cur),
        "one_time_amount": money.format(row["one_time_amount"], cur),
        "currency": cur,
        "auto_renew": row["auto_renew"],
        "package": {
            "id": str(row["package_id"]) if row["package_id"] else None,
            "version": row["package_version"],
            "name": row["package_name"],
            "tier": row["package_tier"],
        },
        "price_schedule": [
            {"from": p["from"], "monthly_amount": money.format(int(p["monthly_amount"]), cur)}
            for p in row["price_schedule"]
        ],
        "cancel_effective_date": row["cancel_effective_date"].isoformat() if row["cancel_effective_date"] else None,
        "next_bill_date": row["next_bill_date"].isoformat() if row["next_bill_date"] else None,
        "activities": row["activities"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def _client_brief(client: Mapping[Any, Any] | None, client_id: uuid.UUID) -> dict[str, Any]:
    if client is None:
        return {"id": str(client_id)}
    return {"id": str(client["id"]), "name": client["name"], "email": client["email"], "timezone": client["timezone"]}


async def get_agreement(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> dict[str, Any]:
    row = await repo.get(session, tenant_id, agreement_id)
    if row is None:
        raise NotFound("no such agreement")
    return agreement_out(row)


async def list_agreements(session: AsyncSession, tenant_id: str, *, limit: int, **filters: Any) -> list[dict[str, Any]]:
    return [agreement_out(r) for r in await repo.list_page(session, tenant_id, limit=limit, **filters)]


# ---- events consumed ----------------------------------------------------------------------------------------


async def activate_from_proposal(
    session: AsyncSession, tenant_id: str, data: Mapping[Any, Any], event_id: str, now: dt.datetime
) -> bool:
    """proposal.accepted → exactly one agreement (the unique key holds whatever the redeliveries)."""
    p = AcceptedProposal.model_validate(data)
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
    owner = await repo.client_owner(session, p.client.id)
    if owner is not None and owner != tenant_id:
        raise PoisonEvent("the client belongs to another tenant")
    owner = await repo.proposal_owner(session, p.proposal_id)
    if owner is not None and owner != tenant_id:
        raise PoisonEvent("the proposal belongs to another tenant")
    await repo.upsert_client(session, tenant_id, client)
    if owner is not None:
        return False  # this proposal already has its agreement
    agreement_id = uuid7()
    end = engine.term_end(p.start_date, p.term_months)
    values = {
        "id": agreement_id,
        "tenant_id": tenant_id,
        "proposal_id": p.proposal_id,
        "client_id": p.client.id,
        "package_id": p.package.id,
        "package_version": p.package.version,
        "package_name": p.package.name,
        "package_tier": p.package.tier,
        "status": "active",
        "start_date": p.start_date,
        "end_date": end,
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
        "created_at": now,
        "updated_at": now,
    }
    if not await repo.insert_agreement(session, values):
        return False
    await repo.add_movement(session, tenant_id, agreement_id, p.currency, p.start_date, "new", monthly)
    await repo.set_churn(session, tenant_id, agreement_id, p.currency, end, -monthly)
    row = await repo.get(session, tenant_id, agreement_id)
    assert row is not None
    out = agreement_out(row)
    await events.emit(
        session,
        SERVICE,
        "vcio.billing.agreement.activated",
        tenant_id,
        {
            **out,
            "agreement_id": out["id"],
            "client": _client_brief(client, p.client.id),
            "package": {
                "id": out["package"]["id"],
                "version": out["package"]["version"],
                "name": out["package"]["name"],
            },
        },
        subject=out["id"],
    )
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


# ---- commands -----------------------------------------------------------------------------------------------


def _last_day(end_exclusive: dt.date) -> dt.date:
    """Descriptions are read by people, who read an end date as included; periods stay half-open in the API."""
    return end_exclusive - dt.timedelta(days=1)


async def _locked(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> Mapping[Any, Any]:
    row = await repo.get(session, tenant_id, agreement_id, for_update=True)
    if row is None:
        raise NotFound("no such agreement")
    return row


async def cancel(
    session: AsyncSession,
    principal: Principal,
    agreement_id: uuid.UUID,
    effective: dt.date,
    reason: str | None,
    today: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """Stop billing from `effective`; credit the unused days of every invoice that reaches past it."""
    tenant = principal.tenant_id
    row = await _locked(session, tenant, agreement_id)
    if row["status"] != "active":
        raise Conflict(f"this agreement is already {row['status']}")
    if not row["term_start"] <= effective <= row["end_date"]:
        raise Unprocessable.field(
            ["body", "effective_date"], f"must be within the current term [{row['term_start']}, {row['end_date']}]"
        )
    overlapping = await invoices_repo.invoices_overlapping(session, tenant, agreement_id, effective)
    if any(inv["status"] == "draft" for inv in overlapping):
        raise Conflict("an invoice past the effective date is still a draft: issue or void it first")
    schedule = engine.parse_schedule(row["price_schedule"])
    lines_by_invoice = await invoices_repo.lines_for(session, tenant, [i["id"] for i in overlapping])
    notes = []
    for inv in overlapping:
        if inv["status"] not in ("issued", "paid"):
            continue
        credit_lines = []
        for line in lines_by_invoice[inv["id"]]:
            if line["kind"] != "recurring" or line["period_end"] is None or line["period_end"] <= effective:
                continue
            start = line["period_start"]
            used = (
                0
                if effective <= start
                else engine.prorated_charge(engine.price_on(schedule, start), row["billing_cycle"], start, effective)
            )
            unused = line["amount"] - used
            if unused > 0:
                first_unused = max(start, effective)
                credit_lines.append(
                    engine.Line(
                        "credit",
                        f"Unused days {first_unused} to {_last_day(line['period_end'])} (cancellation)",
                        first_unused,
                        line["period_end"],
                        1,
                        unused,
                        unused,
                    )
                )
        if credit_lines:
            cap = inv["total"] - inv["amount_credited"]
            subtotal = sum(x.amount for x in credit_lines)
            if subtotal + engine.tax_of(subtotal, inv["tax_rate"]) > cap:
                continue  # already credited (e.g. manually): nothing left to give back
            notes.append(
                await invoices.credit(
                    session,
                    principal,
                    inv,
                    kind="cancellation",
                    reason=reason or "agreement cancelled",
                    lines=credit_lines,
                    issue_date=today,
                    now=now,
                )
            )
    values: dict[str, Any] = {
        "status": "cancelled",
        "cancel_effective_date": effective,
        "cancelled_at": now,
        "updated_at": now,
    }
    if row["next_bill_date"] is not None and row["next_bill_date"] >= effective:
        values["next_bill_date"] = None
    await repo.update(session, tenant, agreement_id, values)
    await repo.set_churn(session, tenant, agreement_id, row["currency"], effective, -row["monthly_amount"])
    await events.emit(
        session,
        SERVICE,
        "vcio.billing.agreement.cancelled",
        tenant,
        {
            "agreement_id": str(agreement_id),
            "client_id": str(row["client_id"]),
            "effective_date": effective.isoformat(),
            "reason": reason,
        },
        subject=str(agreement_id),
    )
    await audit.record(
        session,
        principal,
        "agreement.cancelled",
        "agreement",
        agreement_id,
        {"effective_date": effective.isoformat(), "credit_notes": [n["number"] for n in notes]},
    )
    return {"agreement": await get_agreement(session, tenant, agreement_id), "credit_notes": notes}


async def change(
    session: AsyncSession,
    principal: Principal,
    agreement_id: uuid.UUID,
    effective: dt.date,
    monthly_amount: str,
    package: Mapping[Any, Any] | None,
    activities: list[dict[str, Any]] | None,
    today: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """A new price (and package) from `effective`. Days already invoiced at the old price get a credit line
    and a charge line at the new one, on the agreement's next invoice (see README for the convention)."""
    tenant = principal.tenant_id
    row = await _locked(session, tenant, agreement_id)
    if row["status"] != "active":
        raise Conflict(f"this agreement is {row['status']}")
    try:
        new_price = money.parse(monthly_amount, row["currency"])
    except money.MoneyError as exc:
        raise Unprocessable.field(["body", "monthly_amount"], str(exc)) from exc
    if not row["term_start"] <= effective < row["end_date"]:
        raise Unprocessable.field(
            ["body", "effective_date"], f"must be within the current term [{row['term_start']}, {row['end_date']})"
        )
    cycle = row["billing_cycle"]
    billed_through = row["next_bill_date"] or row["end_date"]
    last_invoiced_start = engine.calendar_period(billed_through - dt.timedelta(days=1), cycle)[0]
    if effective < billed_through and last_invoiced_start > effective:
        raise Unprocessable.field(
            ["body", "effective_date"], "must not be before the start of the latest invoiced period"
        )
    schedule = engine.parse_schedule(row["price_schedule"])
    old_price = engine.price_on(schedule, effective)
    new_schedule = [p for p in row["price_schedule"] if dt.date.fromisoformat(p["from"]) < effective]
    new_schedule.append({"from": effective.isoformat(), "monthly_amount": new_price})
    adjustments: list[dict[str, Any]] = []
    if effective < billed_through:
        old_amount = engine.prorated_charge(old_price, cycle, effective, billed_through)
        new_amount = engine.prorated_charge(new_price, cycle, effective, billed_through)
        for desc, amount in (
            (f"Credit for {effective} to {_last_day(billed_through)} at the previous price", -old_amount),
            (f"Charge for {effective} to {_last_day(billed_through)} at the new price", new_amount),
        ):
            if amount:
                adjustments.append(
                    {
                        "id": uuid7(),
                        "tenant_id": tenant,
                        "agreement_id": agreement_id,
                        "description": desc,
                        "period_start": effective,
                        "period_end": billed_through,
                        "amount": amount,
                        "invoice_id": None,
                        "credit_note_id": None,
                        "created_at": now,
                    }
                )
    await repo.add_adjustments(session, adjustments)
    settled_by = None
    net = sum(a["amount"] for a in adjustments)
    if adjustments and row["next_bill_date"] is None and net != 0:
        settled_by = await _settle_now(session, principal, row, adjustments, net, effective, billed_through, today, now)
    values: dict[str, Any] = {"price_schedule": new_schedule, "monthly_amount": new_price, "updated_at": now}
    if package is not None:
        values.update(
            package_id=package.get("id"),
            package_version=package.get("version"),
            package_name=package["name"],
            package_tier=package.get("tier"),
        )
    if activities is not None:
        values["activities"] = activities
    await repo.update(session, tenant, agreement_id, values)
    delta = new_price - old_price
    if delta:
        await repo.add_movement(
            session,
            tenant,
            agreement_id,
            row["currency"],
            effective,
            "expansion" if delta > 0 else "contraction",
            delta,
        )
    await repo.set_churn(session, tenant, agreement_id, row["currency"], row["end_date"], -new_price)
    out = await get_agreement(session, tenant, agreement_id)
    await events.emit(
        session,
        SERVICE,
        "vcio.billing.agreement.changed",
        tenant,
        {
            "agreement_id": out["id"],
            "client_id": out["client_id"],
            "effective_date": effective.isoformat(),
            "package": {k: out["package"][k] for k in ("id", "version", "name")},
            "monthly_amount": out["monthly_amount"],
            "currency": out["currency"],
            "activities": out["activities"],
        },
        subject=out["id"],
    )
    await audit.record(
        session,
        principal,
        "agreement.changed",
        "agreement",
        agreement_id,
        {
            "effective_date": effective.isoformat(),
            "monthly_amount": {"from": money.format(old_price, row["currency"]), "to": out["monthly_amount"]},
        },
    )
    cur = row["currency"]
    return {
        "agreement": out,
        "settled_by": settled_by,
        "adjustments": [
            {
                "description": a["description"],
                "period_start": a["period_start"].isoformat(),
                "period_end": a["period_end"].isoformat(),
                "amount": money.format(a["amount"], cur),
            }
            for a in adjustments
        ],
    }


async def _settle_now(
    session: AsyncSession,
    principal: Principal,
    row: Mapping[Any, Any],
    adjustments: list[dict[str, Any]],
    net: int,
    effective: dt.date,
    billed_through: dt.date,
    today: dt.date,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """No invoice follows in this term: settle at once (an adjustment invoice, or a credit note)."""
    tenant = principal.tenant_id
    ids = [a["id"] for a in adjustments]
    if net < 0:
        source = await invoices_repo.invoice_for_period(session, tenant, row["id"], effective)
        if source is None or source["status"] not in ("issued", "paid"):
            return None  # left pending; nothing issued to credit against
        desc = "; ".join(a["description"] for a in adjustments)
        note = await invoices.credit(
            session,
            principal,
            source,
            kind="adjustment",
            reason=desc,
            lines=[engine.Line("adjustment", desc, effective, billed_through, 1, -net, -net)],
            issue_date=today,
            now=now,
        )
        await repo.settle_adjustments(session, tenant, ids, credit_note_id=uuid.UUID(note["id"]))
        return {"credit_note": note}
    client = await repo.get_client(session, tenant, row["client_id"])
    rate = client["tax_rate"] if client else "0"
    terms = client["payment_terms_days"] if client else 30
    invoice_id = uuid7()
    lines = [
        engine.Line("adjustment", a["description"], a["period_start"], a["period_end"], 1, a["amount"], a["amount"])
        for a in adjustments
    ]
    tax = engine.tax_of(net, rate)
    await invoices_repo.insert_invoices(
        session,
        [
            {
                "id": invoice_id,
                "tenant_id": tenant,
                "agreement_id": row["id"],
                "client_id": row["client_id"],
                "kind": "adjustment",
                "number": None,
                "status": "draft",
                "period_start": effective,
                "period_end": billed_through,
                "issue_date": None,
                "due_date": None,
                "currency": row["currency"],
                "subtotal": net,
                "tax": tax,
                "total": net + tax,
                "tax_rate": rate,
                "payment_terms_days": terms,
                "run_id": None,
                "created_at": now,
                "issued_at": None,
            }
        ],
    )
    await invoices_repo.insert_lines(session, tenant, invoices.line_rows(tenant, invoice_id, lines))
    await repo.settle_adjustments(session, tenant, ids, invoice_id=invoice_id)
    inv_row = await invoices_repo.get(session, tenant, invoice_id)
    assert inv_row is not None
    return {"invoice": await invoices.issue_one(session, inv_row, today, now)}


async def set_auto_renew(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, auto_renew: bool, now: dt.datetime
) -> dict[str, Any]:
    row = await _locked(session, principal.tenant_id, agreement_id)
    await repo.update(session, principal.tenant_id, agreement_id, {"auto_renew": auto_renew, "updated_at": now})
    await audit.record(
        session,
        principal,
        "agreement.updated",
        "agreement",
        agreement_id,
        {"auto_renew": {"from": row["auto_renew"], "to": auto_renew}},
    )
    return await get_agreement(session, principal.tenant_id, agreement_id)


def renewal_refusal(row: Mapping[Any, Any], local_today: dt.date) -> str | None:
    """The one renewal rule, for the manual route and the sweep alike (None: it may renew now). A term end is
    renewed once: the renewal starts the next term at that end, and that term can only be renewed in its turn
    once it has started. Only an active agreement with `auto_renew` on renews."""
    if row["status"] != "active":
        return f"this agreement is {row['status']}"
    if not row["auto_renew"]:
        return "auto_renew is off for this agreement: it expires at the end of its term (set auto_renew to renew it)"
    if row["term_start"] > local_today:
        if row["term_number"] > 1:
            return (
                f"the term ending {row['term_start']} is already renewed; the current term "
                f"({row['term_start']} to {row['end_date']}) starts on {row['term_start']} and can be renewed from then"
            )
        return f"the first term has not started yet: it starts on {row['term_start']}"
    return None


async def renew(
    session: AsyncSession,
    actor: Principal | str,
    tenant_id: str,
    row: Mapping[Any, Any],
    local_today: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """Start a new term where the current one ends; billing carries on from there. `row` is locked."""
    if (why := renewal_refusal(row, local_today)) is not None:
        raise Conflict(why)
    previous_end = row["end_date"]
    new_end = engine.term_end(previous_end, row["term_months"])
    await repo.insert_renewal(
        session,
        {
            "id": uuid7(),
            "tenant_id": tenant_id,
            "agreement_id": row["id"],
            "previous_end_date": previous_end,
            "end_date": new_end,
            "term_number": row["term_number"] + 1,
            "renewed_by": actor if isinstance(actor, str) else f"principal:{actor.sub}",
            "created_at": now,
        },
    )
    values: dict[str, Any] = {
        "term_start": previous_end,
        "end_date": new_end,
        "term_number": row["term_number"] + 1,
        "updated_at": now,
    }
    if row["next_bill_date"] is None:
        values["next_bill_date"] = previous_end
    await repo.update(session, tenant_id, row["id"], values)
    await repo.set_churn(session, tenant_id, row["id"], row["currency"], new_end, -row["monthly_amount"])
    out = await get_agreement(session, tenant_id, row["id"])
    client = await repo.get_client(session, tenant_id, row["client_id"])
    await events.emit(
        session,
        SERVICE,
        "vcio.billing.agreement.renewed",
        tenant_id,
        {
            "agreement_id": out["id"],
            "client_id": out["client_id"],
            "previous_end_date": previous_end.isoformat(),
            "start_date": previous_end.isoformat(),
            "end_date": new_end.isoformat(),
            "term_months": row["term_months"],
            "client": _client_brief(client, row["client_id"]),
            "activities": out["activities"],
        },
        subject=out["id"],
    )
    await audit.record(
        session,
        actor,
        "agreement.renewed",
        "agreement",
        row["id"],
        {"previous_end_date": previous_end.isoformat(), "end_date": new_end.isoformat()},
        tenant_id=tenant_id,
    )
    return out


async def renew_now(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, now: dt.datetime
) -> dict[str, Any]:
    row = await _locked(session, principal.tenant_id, agreement_id)
    timezone = (await tenants_repo.get(session, principal.tenant_id))["timezone"]
    local_today = now.astimezone(ZoneInfo(timezone)).date()
    return await renew(session, principal, principal.tenant_id, row, local_today, now)


async def renewal_sweep(session: AsyncSession, now: dt.datetime) -> dict[str, int]:
    """renewal_due N days before the end; at the end, auto-renew or expire. Days are the tenant's: the end
    comes at midnight in its time zone, where its scheduled billing runs, so a renewed term is in force when
    that day's run bills its first period."""
    due = await repo.renewal_notices_due(session, now, 60)
    await events.emit_many(
        session,
        [
            events.build(
                SERVICE,
                "vcio.billing.agreement.renewal_due",
                r["tenant_id"],
                {
                    "agreement_id": str(r["id"]),
                    "client_id": str(r["client_id"]),
                    "end_date": r["end_date"].isoformat(),
                    "auto_renew": r["auto_renew"],
                },
                subject=str(r["id"]),
            )
            for r in due
        ],
    )
    renewed = expired = 0
    for row in await repo.ended(session, now):
        if renewal_refusal(row, row["local_today"]) is None:
            await renew(session, "renewal-sweep", row["tenant_id"], row, row["local_today"], now)
            renewed += 1
        else:
            await repo.update(session, row["tenant_id"], row["id"], {"status": "expired", "updated_at": now})
            await audit.record(
                session,
                "renewal-sweep",
                "agreement.expired",
                "agreement",
                row["id"],
                {"end_date": row["end_date"].isoformat()},
                tenant_id=row["tenant_id"],
            )
            expired += 1
    return {"notices": len(due), "renewed": renewed, "expired": expired}
