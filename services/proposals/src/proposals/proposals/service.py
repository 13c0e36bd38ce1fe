"""Proposal rules: compose from a package snapshot, send, view, revise, accept, decline, expire, pipeline."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.catalog import repository as catalog_repository
from proposals.clients import repository as clients_repository
from proposals.msp import repository as msp_repository
from proposals.proposals import calc, document, repository
from proposals.proposals.models import OPEN_STATUSES
from proposals.proposals.schemas import (
    OneTimeItemIn,
    OptionalItemIn,
    PipelineRow,
    ProposalCreate,
    ProposalUpdate,
)
from vcio_shared import audit, events, money
from vcio_shared.auth import Principal
from vcio_shared.errors import Conflict, Gone, NotFound, Unprocessable
from vcio_shared.ids import uuid7

SERVICE = "proposals"
VALIDITY_DAYS = 30
MAX_CONTRACT_MINOR = 10**17
MAX_START_AHEAD_DAYS = 3 * 366


def client_today(now: dt.datetime, timezone: str) -> dt.date:
    """Today in the client's time zone: validity and start dates are the client's calendar dates."""
    return now.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def _amount(value: str, currency: str, loc: list[str | int]) -> int:
    try:
        return money.parse(value, currency)
    except money.MoneyError as exc:
        raise Unprocessable.field(loc, str(exc)) from exc


def _client_snapshot(client: Any) -> dict[str, Any]:
    return {
        "id": str(client.id),
        "name": client.name,
        "email": client.email,
        "timezone": client.timezone,
        "currency": client.currency,
        "tax_rate": calc.format_percent(Decimal(client.tax_rate)),
        "payment_terms_days": client.payment_terms_days,
    }


async def _msp(session: AsyncSession, tenant_id: str) -> dict[str, Any]:
    """The MSP's name and standard terms as they stand now, to freeze into a version."""
    profile = await msp_repository.get(session, tenant_id)
    if profile is None:
        return {"msp_name": tenant_id, "msp_terms": None}
    return {"msp_name": profile.name, "msp_terms": profile.terms}


async def _package(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None) -> Any:
    pkg = await catalog_repository.get(session, tenant_id, package_id, version)
    if pkg is None:
        loc: list[str | int] = ["body", "package_version" if version is not None else "package_id"]
        raise Unprocessable.field(loc, "no such published package (version)")
    if pkg.retired_at is not None:
        raise Unprocessable.field(["body", "package_id"], f"package version {pkg.version} is retired")
    return pkg


async def _client(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> Any:
    client = await clients_repository.get(session, tenant_id, client_id)
    if client is None:
        raise Unprocessable.field(["body", "client_id"], "no such client")
    return client


def _lines(
    pkg: Any, discount: Decimal, optional_items: list[OptionalItemIn], one_time_items: list[OneTimeItemIn]
) -> list[dict[str, Any]]:
    cur = pkg.currency
    activities = {a["name"]: a for a in pkg.data.get("activities", [])}
    label = f"{pkg.name} ({pkg.tier})" if pkg.tier else pkg.name
    lines = [calc.line("package", "recurring", label, pkg.monthly_price_minor, discount, source="package")]
    seen: set[str] = set()
    for i, item in enumerate(optional_items):
        activity = None
        if item.activity is not None:
            if item.activity not in activities:
                raise Unprocessable.field(
                    ["body", "optional_items", i, "activity"], "not an activity of this package version"
                )
            if item.activity in seen:
                raise Unprocessable.field(["body", "optional_items", i, "activity"], "offered twice")
            seen.add(item.activity)
            activity = activities[item.activity]
        amount = _amount(item.amount, cur, ["body", "optional_items", i, "amount"])
        description = item.description or f"Add-on: {item.activity}"
        lines.append(
            calc.line(
                f"option-{i + 1}",
                item.kind,
                description,
                amount,
                discount,
                optional=True,
                source="package" if activity else "custom",
                activity=activity,
            )
        )
    if pkg.onboarding_fee_minor:
        lines.append(
            calc.line("onboarding", "one_time", "Onboarding", pkg.onboarding_fee_minor, discount, source="package")
        )
    for i, fee in enumerate(one_time_items):
        amount = _amount(fee.amount, cur, ["body", "one_time_items", i, "amount"])
        lines.append(calc.line(f"one-time-{i + 1}", "one_time", fee.description, amount, discount, source="custom"))
    return lines


def _compose(pkg: Any, client: Any, terms: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Every column a version's terms determine, checked."""
    if client.currency != pkg.currency:
        raise Unprocessable.field(
            ["body", "client_id"], f"the client is billed in {client.currency}; the package is priced in {pkg.currency}"
        )
    today = client_today(now, client.timezone)
    start: dt.date = terms["start_date"]
    if start < today - dt.timedelta(days=365):
        raise Unprocessable.field(["body", "start_date"], "must not be more than a year before today")
    if start > today + dt.timedelta(days=MAX_START_AHEAD_DAYS):
        raise Unprocessable.field(["body", "start_date"], "must not be more than three years ahead")
    discount = Decimal(terms.get("discount_percent") or 0)
    reason = terms.get("discount_reason") or None  # asked for on every discount, but the contract makes it optional
    valid_until = terms.get("valid_until")
    if valid_until is not None and valid_until < today:
        raise Unprocessable.field(["body", "valid_until"], "must not be in the past")
    term_months = terms.get("term_months") or pkg.term_months
    optional_items = [OptionalItemIn.model_validate(i) for i in terms.get("optional_items") or []]
    one_time_items = [OneTimeItemIn.model_validate(i) for i in terms.get("one_time_items") or []]
    lines = _lines(pkg, discount, optional_items, one_time_items)
    everything = calc.totals(lines, [ln["id"] for ln in lines], term_months)
    if everything.contract_value > MAX_CONTRACT_MINOR:
        raise Unprocessable.field(["body"], "the amounts are too large")
    base = calc.totals(lines, (), term_months)
    package = dict(pkg.data)
    return {
        "package_id": pkg.package_id,
        "package_version": pkg.version,
        "package": package,
        "client_snapshot": _client_snapshot(client),
        "currency": pkg.currency,
        "start_date": start,
        "term_months": term_months,
        "billing_cycle": terms.get("billing_cycle") or pkg.billing_cycle,
        "auto_renew": terms.get("auto_renew", True),
        "discount_percent": discount,
        "discount_reason": reason,
        "valid_until": valid_until,
        "lines": lines,
        "schedule_summary": calc.schedule_summary(package, lines, start, term_months),
        "selected_options": [],
        "monthly_total_minor": base.monthly,
        "one_time_total_minor": base.one_time,
        "contract_value_minor": base.contract_value,
    }


async def get(session: AsyncSession, tenant_id: str, proposal_id: uuid.UUID, *, for_update: bool = False) -> Any:
    row = await repository.get(session, tenant_id, proposal_id, for_update=for_update)
    if row is None:
        raise NotFound("no such proposal")
    return row


def _terms_of(row: Any) -> dict[str, Any]:
    """A version's terms as a request would state them (for PATCH and revise, which change some of them)."""
    items = []
    for ln in row.lines:
        if ln["optional"]:
            items.append(
                {
                    "activity": ln["activity"]["name"] if ln["source"] == "package" and ln.get("activity") else None,
                    "description": ln["description"],
                    "kind": ln["kind"],
                    "amount": money.format(ln["list_amount"], row.currency),
                }
            )
    one_time = [
        {"description": ln["description"], "amount": money.format(ln["list_amount"], row.currency)}
        for ln in row.lines
        if ln["source"] == "custom" and not ln["optional"]
    ]
    return {
        "start_date": row.start_date,
        "term_months": row.term_months,
        "billing_cycle": row.billing_cycle,
        "auto_renew": row.auto_renew,
        "discount_percent": Decimal(row.discount_percent),
        "discount_reason": row.discount_reason,
        "valid_until": row.valid_until,
        "optional_items": items,
        "one_time_items": one_time,
    }


async def create(session: AsyncSession, principal: Principal, body: ProposalCreate, now: dt.datetime) -> Any:
    client = await _client(session, principal.tenant_id, body.client_id)
    pkg = await _package(session, principal.tenant_id, body.package_id, body.package_version)
    terms = body.model_dump(exclude_none=True)
    values = _compose(pkg, client, terms, now)
    row = await repository.insert(
        session,
        {
            **values,
            "id": uuid7(),
            "tenant_id": principal.tenant_id,
            "client_id": client.id,
            "version": 1,
            "status": "draft",
            **await _msp(session, principal.tenant_id),
            "created_at": now,
            "updated_at": now,
        },
    )
    await audit.record(
        session, principal, "proposal.created", "proposal", row.id, body.model_dump(mode="json", exclude_none=True)
    )
    return row


async def _recompose(
    session: AsyncSession, tenant_id: str, row: Any, body: ProposalUpdate, now: dt.datetime
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("package_version", None)
    if version is not None:
        pkg = await _package(session, tenant_id, row.package_id, version)
    else:  # the version already snapshot, even if the catalog has retired it since
        pkg = await catalog_repository.get(session, tenant_id, row.package_id, row.package_version)
    client = await _client(session, tenant_id, row.client_id)
    terms = {**_terms_of(row), **changes}
    if "start_date" in changes and changes["start_date"] is None:
        raise Unprocessable.field(["body", "start_date"], "may not be null")
    values = _compose(pkg, client, terms, now)
    return values


async def update_draft(
    session: AsyncSession, principal: Principal, proposal_id: uuid.UUID, body: ProposalUpdate, now: dt.datetime
) -> Any:
    row = await get(session, principal.tenant_id, proposal_id, for_update=True)
    if row.status != "draft":
        raise Conflict(f"a {row.status} proposal never changes; revise it to make a new version")
    values = await _recompose(session, principal.tenant_id, row, body, now)
    row = await repository.update(session, principal.tenant_id, row.id, {**values, "updated_at": now})
    await audit.record(
        session, principal, "proposal.updated", "proposal", row.id, body.model_dump(mode="json", exclude_unset=True)
    )
    return row


async def send(
    session: AsyncSession,
    principal: Principal,
    proposal_id: uuid.UUID,
    valid_until: dt.date | None,
    now: dt.datetime,
    base_url: str,
) -> Any:
    row = await get(session, principal.tenant_id, proposal_id, for_update=True)
    if row.status != "draft":
        raise Conflict(f"this proposal is already {row.status}")
    client = await clients_repository.get(session, principal.tenant_id, row.client_id)
    today = client_today(now, client.timezone)
    valid_until = valid_until or row.valid_until or today + dt.timedelta(days=VALIDITY_DAYS)
    if valid_until < today:
        raise Unprocessable.field(["body", "valid_until"], "must not be in the past")
    row = await repository.update(
        session,
        principal.tenant_id,
        row.id,
        {
            "status": "sent",
            "sent_at": now,
            "updated_at": now,
            "valid_until": valid_until,
            "token": secrets.token_urlsafe(32),
            "client_snapshot": _client_snapshot(client),
            **await _msp(session, principal.tenant_id),  # the name and terms the client is shown, frozen
        },
    )
    view = document.present(row, base_url=base_url, calendar=False)
    await audit.record(
        session,
        principal,
        "proposal.sent",
        "proposal",
        row.id,
        {"status": {"from": "draft", "to": "sent"}, "valid_until": valid_until},
    )
    await events.emit(
        session,
        SERVICE,
        "vcio.proposals.proposal.sent",
        row.tenant_id,
        {
            "proposal_id": str(row.id),
            "client_id": str(row.client_id),
            "version": row.version,
            "currency": row.currency,
            "monthly_total": view["monthly_total"],
            "one_time_total": view["one_time_total"],
            "contract_value": view["contract_value"],
            "valid_until": valid_until.isoformat(),
            "accept_url": view["accept_url"],
        },
        subject=str(row.id),
    )
    return row


async def revise(
    session: AsyncSession, principal: Principal, proposal_id: uuid.UUID, body: ProposalUpdate, now: dt.datetime
) -> Any:
    old = await get(session, principal.tenant_id, proposal_id, for_update=True)
    if old.status == "draft":
        raise Conflict("a draft is edited in place (PATCH); only a sent version is revised")
    if old.status in ("accepted", "superseded"):
        raise Conflict(f"a {old.status} proposal cannot be revised")
    values = await _recompose(session, principal.tenant_id, old, body, now)
    if "valid_until" not in body.model_fields_set:
        values["valid_until"] = None  # the new version gets its own validity when it is sent
    new = await repository.insert(
        session,
        {
            **values,
            "id": uuid7(),
            "tenant_id": principal.tenant_id,
            "client_id": old.client_id,
            "version": old.version + 1,
            "supersedes_id": old.id,
            "status": "draft",
            "msp_name": old.msp_name,
            "msp_terms": old.msp_terms,
            "created_at": now,
            "updated_at": now,
        },
    )
    await repository.update(
        session,
        principal.tenant_id,
        old.id,
        {"status": "superseded", "superseded_at": now, "superseded_by_id": new.id, "updated_at": now},
    )
    await audit.record(
        session,
        principal,
        "proposal.revised",
        "proposal",
        old.id,
        {"status": {"from": old.status, "to": "superseded"}, "superseded_by_id": new.id},
    )
    await audit.record(
        session,
        principal,
        "proposal.created",
        "proposal",
        new.id,
        {"supersedes_id": old.id, **body.model_dump(mode="json", exclude_unset=True)},
    )
    await events.emit(
        session,
        SERVICE,
        "vcio.proposals.proposal.revised",
        principal.tenant_id,
        {
            "proposal_id": str(new.id),
            "previous_proposal_id": str(old.id),
            "client_id": str(old.client_id),
            "version": new.version,
        },
        subject=str(new.id),
    )
    return new


def _is_past_validity(row: Any, now: dt.datetime) -> bool:
    return row.valid_until is not None and client_today(now, row.client_snapshot["timezone"]) > row.valid_until


def _check_open(row: Any, now: dt.datetime, *, allow_draft: bool = False) -> None:
    if row.status == "accepted":
        raise Conflict("this proposal has already been accepted")
    if row.status == "declined":
        raise Conflict("this proposal was declined")
    if row.status == "superseded":
        raise Conflict("this proposal was replaced by a newer version")
    if row.status == "expired" or (row.status in OPEN_STATUSES and _is_past_validity(row, now)):
        raise Gone(f"this proposal expired (it was valid until {row.valid_until})")
    if row.status == "draft" and not allow_draft:
        raise Conflict("this proposal has not been sent")


async def accept(
    session: AsyncSession,
    row: Any,
    *,
    signer_name: str,
    signer_email: str,
    selected: list[str],
    channel: str,
    now: dt.datetime,
    accepted_at: dt.datetime | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    staff: Principal | None = None,
) -> Any:
    """Record an acceptance with the hash of exactly the document accepted, and announce it."""
    _check_open(row, now, allow_draft=staff is not None)
    when = accepted_at or now
    if row.valid_until is not None and client_today(when, row.client_snapshot["timezone"]) > row.valid_until:
        raise Gone(f"this proposal expired (it was valid until {row.valid_until})")
    offered = {ln["id"] for ln in row.lines if ln["optional"]}
    unknown = sorted(set(selected) - offered)
    if unknown:
        raise Unprocessable.field(["body", "selected_options"], f"not optional items of this proposal: {unknown}")
    chosen = sorted(set(selected))
    t = calc.totals(row.lines, chosen, row.term_months)
    doc = document.canonical_document(row, chosen)
    row = await repository.update(
        session,
        row.tenant_id,
        row.id,
        {
            "status": "accepted",
            "accepted_at": when,
            "updated_at": now,
            "signer_name": signer_name,
            "signer_email": signer_email,
            "signer_ip": ip,
            "signer_user_agent": (user_agent or "")[:500] or None,
            "acceptance_channel": channel,
            "accepted_by": staff.sub if staff else None,
            "selected_options": chosen,
            "monthly_total_minor": t.monthly,
            "one_time_total_minor": t.one_time,
            "contract_value_minor": t.contract_value,
            "document_sha256": document.sha256(doc),
            "accepted_document": document.canonical_bytes(doc),
        },
    )
    actor: Principal | str = staff or f"client:{signer_email}"
    await audit.record(
        session,
        actor,
        "proposal.accepted",
        "proposal",
        row.id,
        {
            "status": {"to": "accepted"},
            "channel": channel,
            "document_sha256": row.document_sha256,
            "selected_options": chosen,
        },
        tenant_id=row.tenant_id,
    )
    await events.emit(
        session,
        SERVICE,
        "vcio.proposals.proposal.accepted",
        row.tenant_id,
        document.accepted_event_data(row, now),
        subject=str(row.id),
    )
    return row


async def staff_accept(
    session: AsyncSession,
    principal: Principal,
    proposal_id: uuid.UUID,
    *,
    signer_name: str,
    signer_email: str,
    selected: list[str],
    accepted_at: dt.datetime | None,
    now: dt.datetime,
) -> Any:
    row = await get(session, principal.tenant_id, proposal_id, for_update=True)
    if accepted_at is not None:
        if accepted_at.tzinfo is None:
            raise Unprocessable.field(["body", "accepted_at"], "needs a UTC offset")
        if accepted_at > now:
            raise Unprocessable.field(["body", "accepted_at"], "must not be in the future")
        if accepted_at < now - dt.timedelta(days=366):
            raise Unprocessable.field(["body", "accepted_at"], "must not be more than a year ago")
    return await accept(
        session,
        row,
        signer_name=signer_name,
        signer_email=signer_email,
        selected=selected,
        channel="staff",
        now=now,
        accepted_at=accepted_at,
        staff=principal,
    )


async def decline(session: AsyncSession, row: Any, reason: str, now: dt.datetime) -> Any:
    _check_open(row, now)
    row = await repository.update(
        session,
        row.tenant_id,
        row.id,
        {"status": "declined", "declined_at": now, "decline_reason": reason, "updated_at": now},
    )
    await audit.record(
        session,
        f"client:{row.client_snapshot['email']}",
        "proposal.declined",
        "proposal",
        row.id,
        {"status": {"to": "declined"}, "reason": reason},
        tenant_id=row.tenant_id,
    )
    await events.emit(
        session,
        SERVICE,
        "vcio.proposals.proposal.declined",
        row.tenant_id,
        {"proposal_id": str(row.id), "client_id": str(row.client_id), "reason": reason},
        subject=str(row.id),
    )
    return row


async def by_token(session: AsyncSession, token: str, *, for_update: bool = False) -> Any:
    row = await repository.by_token(session, token, for_update=for_update)
    if row is None:
        raise NotFound("no such proposal link")
    return row


async def open_page(session: AsyncSession, token: str, now: dt.datetime) -> Any:
    """Opening the link records `viewed`; a link past its validity expires on the spot."""
    row = await by_token(session, token, for_update=True)
    if row.status in OPEN_STATUSES and _is_past_validity(row, now):
        expired = await repository.mark_expired(session, [row.id], now)
        await _announce_expired(session, expired, now)
        return await by_token(session, token)
    if row.status == "sent":
        row = await repository.update(
            session, row.tenant_id, row.id, {"status": "viewed", "viewed_at": now, "updated_at": now}
        )
        await audit.record(
            session,
            "client",
            "proposal.viewed",
            "proposal",
            row.id,
            {"status": {"to": "viewed"}},
            tenant_id=row.tenant_id,
        )
    return row


async def _announce_expired(session: AsyncSession, rows: list[Any], now: dt.datetime) -> None:
    changes = {"status": {"to": "expired"}}
    await audit.record_many(
        session,
        [
            audit.entry("system", "proposal.expired", "proposal", r.id, changes, tenant_id=r.tenant_id, at=now)
            for r in rows
        ],
    )
    await events.emit_many(
        session,
        [
            events.build(
                SERVICE,
                "vcio.proposals.proposal.expired",
                r.tenant_id,
                {"proposal_id": str(r.id), "client_id": str(r.client_id)},
                subject=str(r.id),
                now=now,
            )
            for r in rows
        ],
    )


async def expire_due(session: AsyncSession, now: dt.datetime) -> int:
    """The sweep: every open proposal whose validity ended in its client's time zone becomes expired."""
    # No time zone is more than a day ahead of UTC: anything valid beyond UTC's today is certainly still open.
    candidates = await repository.expiry_candidates(session, now.date())
    due = [c.id for c in candidates if client_today(now, c.client_snapshot["timezone"]) > c.valid_until]
    expired = await repository.mark_expired(session, due, now)
    await _announce_expired(session, expired, now)
    return len(expired)


async def pipeline(session: AsyncSession, tenant_id: str) -> list[PipelineRow]:
    out = []
    for r in await repository.pipeline(session, tenant_id):
        decided = r.accepted + r.declined + r.expired
        win = (Decimal(r.accepted * 100) / decided).quantize(Decimal("0.01"), ROUND_HALF_UP) if decided else None
        avg = None if r.avg_seconds is None else int(Decimal(r.avg_seconds).quantize(Decimal(1), ROUND_HALF_UP))
        out.append(
            PipelineRow(
                currency=r.currency,
                open_proposals=r.open_proposals,
                open_pipeline_value=money.format(int(r.open_value), r.currency),
                accepted=r.accepted,
                declined=r.declined,
                expired=r.expired,
                won_value=money.format(int(r.won_value), r.currency),
                win_rate_percent=None if win is None else str(win),
                average_time_to_accept_seconds=avg,
                average_days_to_accept=None
                if avg is None
                else str((Decimal(avg) / 86400).quantize(Decimal("0.01"), ROUND_HALF_UP)),
            )
        )
    return out
