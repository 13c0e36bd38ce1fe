"""Planning rules: agreements become dated activities; changes, renewals and cancellations reshape the plan.

`plan_agreements` plans many agreements in one transaction (the consumer calls it with one; a backfill or
benchmark with thousands): RRULEs are expanded in Python, rows go in with one COPY."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.plans import repository as repo
from scheduler.plans.assignment import Assigner
from scheduler.plans.cadence import PLAN_MAX_YEAR, CadenceError, business_day, occurrence_dates, zone
from scheduler.plans.schemas import (
    ActivityTemplate,
    AgreementActivated,
    AgreementCancelled,
    AgreementChanged,
    AgreementRenewed,
    PlanSummary,
)
from vcio_shared.audit import record
from vcio_shared.errors import NotFound
from vcio_shared.events import build, emit, emit_many
from vcio_shared.ids import uuid7

SERVICE = "scheduler"
SYSTEM_ACTOR = "system:billing-events"
COPY_CHUNK_AGREEMENTS = 1000


class PlanningError(ValueError):
    """An agreement that can never be planned as sent (bad cadence, time zone, dates): dead-lettered."""


def bulk_uuid7(n: int) -> list[uuid.UUID]:
    """n time-ordered UUIDv7s at once (one clock read, one urandom call): id generation is on the hot path."""
    if n <= 0:
        return []
    ms = time.time_ns() // 1_000_000
    rand = os.urandom(8 * n)
    out = []
    for i in range(n):
        counter = i & 0xFFF
        r = int.from_bytes(rand[8 * i : 8 * i + 8], "big") & ((1 << 62) - 1)
        value = ((ms + (i >> 12)) << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | r
        out.append(uuid.UUID(int=value))
    return out


def template_key(t: ActivityTemplate) -> str:
    """What identifies "the same activity" across package versions: its name and its cadence."""
    cadence = ";".join(sorted(p.strip().upper() for p in t.cadence.removeprefix("RRULE:").split(";") if p.strip()))
    return f"{' '.join(t.name.lower().split())}|{cadence}"


def keyed(templates: list[ActivityTemplate]) -> list[tuple[str, ActivityTemplate]]:
    seen: dict[str, int] = {}
    out = []
    for t in templates:
        key = template_key(t)
        seen[key] = seen.get(key, 0) + 1
        out.append((key if seen[key] == 1 else f"{key}#{seen[key]}", t))
    return out


@dataclass
class AgreementPlan:
    """One agreement to plan: what `agreement.activated` carries."""

    tenant_id: str
    event: AgreementActivated


@dataclass
class PlanResult:
    agreements: int = 0
    activities: int = 0
    skipped: list[uuid.UUID] = field(default_factory=list)


def _rows_for(
    tenant_id: str,
    agreement_id: uuid.UUID,
    client_id: uuid.UUID,
    templates: list[ActivityTemplate],
    dtstart: dt.date,
    window: tuple[dt.date, dt.date],
    timezone: str,
    holidays: tuple[str, str | None] | None,
    assigner: Assigner | None,
    now: dt.datetime,
    month_end: str = "skip",
) -> list[list[Any]]:
    country, subdivision = holidays if holidays else (None, None)
    rows: list[list[Any]] = []
    for key, t in keyed(templates):
        try:
            dates = occurrence_dates(t.cadence, dtstart, window[0], window[1], timezone, month_end)
        except CadenceError as exc:
            raise PlanningError(f"activity {t.name!r}: {exc}") from exc
        effort = Decimal(str(t.effort_hours))
        for occurrence in dates:
            due = business_day(occurrence, country, subdivision)
            assignee = assigner.pick(tenant_id, t.role, due, effort) if assigner else None
            rows.append(
                [
                    None,
                    tenant_id,
                    agreement_id,
                    client_id,
                    key,
                    t.name,
                    t.category,
                    t.track,
                    t.billing_mode,
                    t.cadence,
                    t.role,
                    t.effort_hours,
                    t.deliverable,
                    occurrence,
                    due,
                    due,
                    "planned",
                    assignee,
                    now,
                    now,
                ]
            )
    # ids follow due dates, so a plan lists in calendar order
    rows.sort(key=lambda r: (r[15], r[4]))
    return rows


def _with_ids(rows: list[list[Any]]) -> list[tuple[Any, ...]]:
    for row, new_id in zip(rows, bulk_uuid7(len(rows)), strict=True):
        row[0] = new_id
    return [tuple(r) for r in rows]


async def _assigner(session: AsyncSession, tenant_ids: list[str], start: dt.date, end: dt.date) -> Assigner | None:
    staff = await repo.active_staff(session, tenant_ids)
    if not staff:
        return None
    booked = await repo.booked_hours_by_week(
        session, tenant_ids, start - dt.timedelta(days=7), end + dt.timedelta(days=14)
    )
    return Assigner(staff, booked)


def _check_agreement(event: AgreementActivated) -> None:
    try:
        zone(event.client.timezone)
    except CadenceError as exc:
        raise PlanningError(str(exc)) from exc
    if event.end_date <= event.start_date:
        raise PlanningError("end_date must be after start_date")
    if (event.end_date - event.start_date).days > 366 * 10:
        raise PlanningError("a term longer than ten years is not planned")
    if not dt.date(2000, 1, 1) <= event.start_date < dt.date(PLAN_MAX_YEAR - 10, 1, 1):
        raise PlanningError(f"start_date must be between 2000 and {PLAN_MAX_YEAR - 11}")


async def plan_agreements(session: AsyncSession, plans: list[AgreementPlan], now: dt.datetime) -> PlanResult:
    """Plan many agreements in the caller's transaction. Agreements already known are skipped (never doubled)."""
    result = PlanResult()
    if not plans:
        return result
    unique: dict[uuid.UUID, AgreementPlan] = {}
    for p in plans:
        _check_agreement(p.event)
        unique.setdefault(p.event.the_agreement_id, p)
    plans = list(unique.values())
    rows = [
        {
            "id": p.event.the_agreement_id,
            "tenant_id": p.tenant_id,
            "client_id": p.event.client.id,
            "client_name": p.event.client.name,
            "client_email": p.event.client.email,
            "timezone": p.event.client.timezone,
            "package_id": p.event.package.id if p.event.package else None,
            "package_version": p.event.package.version if p.event.package else None,
            "package_name": p.event.package.name if p.event.package else None,
            "start_date": p.event.start_date,
            "end_date": p.event.end_date,
            "activities": [t.model_dump(mode="json") for t in p.event.activities],
        }
        for p in plans
    ]
    new_ids = await repo.insert_new_agreements(session, rows, now)
    fresh = [p for p in plans if p.event.the_agreement_id in new_ids]
    result.skipped = [p.event.the_agreement_id for p in plans if p.event.the_agreement_id not in new_ids]
    if not fresh:
        return result
    tenant_ids = sorted({p.tenant_id for p in fresh})
    calendars = await repo.tenant_holiday_calendars(session, tenant_ids)
    last_day = await repo.tenants_with_month_end_last_day(session, tenant_ids)
    assigner = await _assigner(
        session, tenant_ids, min(p.event.start_date for p in fresh), max(p.event.end_date for p in fresh)
    )
    events = []
    audits = []
    # COPY in chunks: a 10,000-agreement backfill never holds a million rows in memory at once
    for i in range(0, len(fresh), COPY_CHUNK_AGREEMENTS):
        chunk_rows: list[list[Any]] = []
        for p in fresh[i : i + COPY_CHUNK_AGREEMENTS]:
            e = p.event
            agreement_rows = _rows_for(
                p.tenant_id,
                e.the_agreement_id,
                e.client.id,
                e.activities,
                e.start_date,
                (e.start_date, e.end_date),
                e.client.timezone,
                calendars.get(p.tenant_id),
                assigner,
                now,
                "last_day" if p.tenant_id in last_day else "skip",
            )
            chunk_rows.extend(agreement_rows)
            data = {
                "agreement_id": str(e.the_agreement_id),
                "client_id": str(e.client.id),
                "activities": len(agreement_rows),
            }
            events.append(
                build(
                    SERVICE, "vcio.scheduler.plan.created", p.tenant_id, data, subject=str(e.the_agreement_id), now=now
                )
            )
            audits.append(
                {
                    "id": uuid7(),
                    "t": p.tenant_id,
                    "a": SYSTEM_ACTOR,
                    "act": "plan.created",
                    "et": "agreement",
                    "eid": str(e.the_agreement_id),
                    "c": orjson.dumps(data).decode(),
                    "at": now,
                }
            )
        result.activities += await repo.copy_activities(session, _with_ids(chunk_rows))
    result.agreements = len(fresh)
    await emit_many(session, events)
    await repo.insert_audit_rows(session, audits)
    return result


async def on_activated(session: AsyncSession, tenant_id: str, data: dict[str, Any], now: dt.datetime) -> PlanResult:
    event = AgreementActivated.model_validate(data)
    return await plan_agreements(session, [AgreementPlan(tenant_id, event)], now)


async def _known(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> Any:
    agreement = await repo.get_agreement(session, tenant_id, agreement_id, for_update=True)
    if agreement is None:
        # Most likely its activation has not been handled yet: a plain error is retried, then dead-lettered.
        raise LookupError(f"agreement {agreement_id} is not known (yet)")
    return agreement


async def _audit_and_emit(
    session: AsyncSession, tenant_id: str, agreement: Any, reason: str, counts: dict[str, Any]
) -> None:
    data = {"agreement_id": str(agreement["id"]), "client_id": str(agreement["client_id"]), "reason": reason, **counts}
    await emit(session, SERVICE, "vcio.scheduler.plan.changed", tenant_id, data, subject=str(agreement["id"]))
    await record(session, SYSTEM_ACTOR, f"plan.{reason}", "agreement", agreement["id"], data, tenant_id=tenant_id)


async def on_cancelled(session: AsyncSession, tenant_id: str, data: dict[str, Any], now: dt.datetime) -> int:
    """Open activities due on or after the effective date become cancelled; completed ones stay."""
    event = AgreementCancelled.model_validate(data)
    agreement = await _known(session, tenant_id, event.agreement_id)
    cancelled = await repo.cancel_open_activities(
        session, tenant_id, event.agreement_id, event.effective_date, "agreement cancelled", now
    )
    await repo.update_agreement(
        session, tenant_id, event.agreement_id, now, status="cancelled", cancelled_from=event.effective_date
    )
    await _audit_and_emit(
        session,
        tenant_id,
        agreement,
        "cancelled",
        {"effective_date": event.effective_date.isoformat(), "cancelled": cancelled},
    )
    return cancelled


async def _replan(
    session: AsyncSession,
    tenant_id: str,
    agreement: Any,
    templates: list[ActivityTemplate],
    dtstart: dt.date,
    window: tuple[dt.date, dt.date],
    now: dt.datetime,
) -> dict[str, int]:
    """Make the open future of a plan match `templates`: add what is new, cancel what is gone, refresh the rest."""
    calendars = await repo.tenant_holiday_calendars(session, [tenant_id])
    last_day = await repo.tenants_with_month_end_last_day(session, [tenant_id])
    assigner = await _assigner(session, [tenant_id], window[0], window[1])
    wanted = _rows_for(
        tenant_id,
        agreement["id"],
        agreement["client_id"],
        templates,
        dtstart,
        window,
        agreement["timezone"],
        calendars.get(tenant_id),
        None,
        now,
        "last_day" if tenant_id in last_day else "skip",
    )
    wanted_keys = {(r[4], r[13]) for r in wanted}
    existing = await repo.future_activities(session, tenant_id, agreement["id"], window[0])
    existing_keys = {(r.template_key, r.occurrence_date) for r in existing}
    gone = [
        r.id
        for r in existing
        if r.status in ("planned", "scheduled")
        and (r.template_key, r.occurrence_date) not in wanted_keys
        and r.occurrence_date >= window[0]
    ]
    back = [
        r.id
        for r in existing
        if r.status == "cancelled"
        and r.cancel_reason == "package changed"
        and (r.template_key, r.occurrence_date) in wanted_keys
    ]
    new_rows = [r for r in wanted if (r[4], r[13]) not in existing_keys]
    if assigner:
        for r in new_rows:
            r[17] = assigner.pick(tenant_id, r[10], r[15], Decimal(str(r[11])))
    cancelled = await repo.set_status(session, tenant_id, gone, "cancelled", "package changed", now)
    restored = await repo.set_status(session, tenant_id, back, "planned", None, now)
    added = await repo.insert_activities(session, _with_ids(new_rows))
    refreshed = await repo.refresh_templates(
        session,
        tenant_id,
        agreement["id"],
        window[0],
        [
            {
                "key": k,
                "name": t.name,
                "category": t.category,
                "track": t.track,
                "billing_mode": t.billing_mode,
                "role": t.role,
                "effort_hours": t.effort_hours,
                "deliverable": t.deliverable,
            }
            for k, t in keyed(templates)
        ],
        now,
    )
    return {"added": added, "cancelled": cancelled, "restored": restored, "updated": refreshed}


async def on_changed(session: AsyncSession, tenant_id: str, data: dict[str, Any], now: dt.datetime) -> dict[str, int]:
    """A package change re-plans the open activities from the effective date; the delivered past stays."""
    event = AgreementChanged.model_validate(data)
    agreement = await _known(session, tenant_id, event.agreement_id)
    if agreement["status"] == "cancelled":
        return {}
    start = max(event.effective_date, agreement["term_start"])
    counts: dict[str, int] = {"added": 0, "cancelled": 0, "restored": 0, "updated": 0}
    if start < agreement["end_date"]:
        counts = await _replan(
            session,
            tenant_id,
            agreement,
            event.activities,
            agreement["term_start"],
            (start, agreement["end_date"]),
            now,
        )
    values: dict[str, Any] = {"activities": [t.model_dump(mode="json") for t in event.activities]}
    if event.package is not None:
        values.update(
            package_id=event.package.id, package_version=event.package.version, package_name=event.package.name
        )
    await repo.update_agreement(session, tenant_id, event.agreement_id, now, **values)
    await _audit_and_emit(
        session, tenant_id, agreement, "package_changed", {"effective_date": event.effective_date.isoformat(), **counts}
    )
    return counts


async def on_renewed(session: AsyncSession, tenant_id: str, data: dict[str, Any], now: dt.datetime) -> dict[str, int]:
    """A renewal extends the plan over the new term (DTSTART = the new term's start)."""
    event = AgreementRenewed.model_validate(data)
    agreement = await _known(session, tenant_id, event.agreement_id)
    if agreement["status"] == "cancelled":
        return {}
    if event.end_date <= event.start_date:
        raise PlanningError("end_date must be after start_date")
    templates = (
        event.activities
        if event.activities is not None
        else [ActivityTemplate.model_validate(a) for a in agreement["activities"]]
    )
    counts = await _replan(
        session, tenant_id, agreement, templates, event.start_date, (event.start_date, event.end_date), now
    )
    values: dict[str, Any] = {
        "term_start": event.start_date,
        "end_date": max(event.end_date, agreement["end_date"]),
        "activities": [t.model_dump(mode="json") for t in templates],
    }
    await repo.update_agreement(session, tenant_id, event.agreement_id, now, **values)
    await _audit_and_emit(
        session,
        tenant_id,
        agreement,
        "renewed",
        {"start_date": event.start_date.isoformat(), "end_date": event.end_date.isoformat(), **counts},
    )
    return counts


async def get_plan(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> PlanSummary:
    agreement = await repo.get_agreement(session, tenant_id, agreement_id)
    if agreement is None:
        raise NotFound("no such agreement")
    by_status = await repo.plan_summary(session, tenant_id, agreement_id)
    return PlanSummary(
        agreement_id=agreement["id"],
        client_id=agreement["client_id"],
        client_name=agreement["client_name"],
        timezone=agreement["timezone"],
        package_id=agreement["package_id"],
        package_version=agreement["package_version"],
        package_name=agreement["package_name"],
        status=agreement["status"],
        start_date=agreement["start_date"],
        term_start=agreement["term_start"],
        end_date=agreement["end_date"],
        cancelled_from=agreement["cancelled_from"],
        activities=sum(by_status.values()),
        by_status=by_status,
    )
