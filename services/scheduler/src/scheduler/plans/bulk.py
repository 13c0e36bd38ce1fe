"""Planning agreements from `agreement.activated`: templates become dated activity rows.

`plan_agreements` plans many agreements in one transaction (the consumer calls it with one; a backfill or
benchmark with thousands): RRULEs are expanded in Python, rows go in with one COPY per chunk."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.plans import repository as repo
from scheduler.plans.assignment import Assigner
from scheduler.plans.business_days import business_day
from scheduler.plans.schemas import ActivityTemplate, AgreementActivated
from vcio_shared.audit import entry, record_many
from vcio_shared.cadence import SEARCH_MAX_YEAR, CadenceError, dates
from vcio_shared.events import CloudEvent, build, emit_many
from vcio_shared.ids import uuid7_strings

SERVICE = "scheduler"
SYSTEM_ACTOR = "system:billing-events"
COPY_CHUNK_AGREEMENTS = 1000


class PlanningError(ValueError):
    """An agreement that can never be planned as sent (bad cadence, time zone, dates): dead-lettered."""


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


@dataclass(frozen=True)
class TenantRules:
    """What a tenant's settings change in the dates: its holiday calendar and its month-end rule."""

    holidays: tuple[str, str | None] | None
    month_end: str


async def tenant_rules(session: AsyncSession, tenant_ids: list[str]) -> dict[str, TenantRules]:
    calendars = await repo.tenant_holiday_calendars(session, tenant_ids)
    last_day = await repo.tenants_with_month_end_last_day(session, tenant_ids)
    return {t: TenantRules(calendars.get(t), "last_day" if t in last_day else "skip") for t in tenant_ids}


def rows_for(
    tenant_id: str,
    agreement: tuple[uuid.UUID, uuid.UUID],
    templates: list[ActivityTemplate],
    dtstart: dt.date,
    window: tuple[dt.date, dt.date],
    rules: TenantRules,
    assigner: Assigner | None,
    now: dt.datetime,
) -> list[list[Any]]:
    """The activity rows of one agreement (id, client id) in `window`, in `repo.ACTIVITY_COLUMNS` order, without
    ids (see `with_ids`). The dates are `vcio_shared.cadence.dates`, the expansion a proposal counts with."""
    agreement_id, client_id = agreement
    country, subdivision = rules.holidays if rules.holidays else (None, None)
    rows: list[list[Any]] = []
    for key, t in keyed(templates):
        try:
            occurrences = dates(t.cadence, dtstart, window[0], window[1], rules.month_end)
        except CadenceError as exc:
            raise PlanningError(f"activity {t.name!r}: {exc}") from exc
        effort = Decimal(str(t.effort_hours))
        for occurrence in occurrences:
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


def with_ids(rows: list[list[Any]]) -> list[tuple[Any, ...]]:
    for row, new_id in zip(rows, uuid7_strings(len(rows)), strict=False):
        row[0] = new_id
    return [tuple(r) for r in rows]


async def assigner_for(session: AsyncSession, tenant_ids: list[str], start: dt.date, end: dt.date) -> Assigner | None:
    staff = await repo.active_staff(session, tenant_ids)
    if not staff:
        return None
    booked = await repo.booked_hours_by_week(
        session, tenant_ids, start - dt.timedelta(days=7), end + dt.timedelta(days=14)
    )
    return Assigner(staff, booked)


def _check_agreement(event: AgreementActivated) -> None:
    try:
        ZoneInfo(event.client.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise PlanningError(f"unknown time zone {event.client.timezone!r}") from exc
    if event.end_date <= event.start_date:
        raise PlanningError("end_date must be after start_date")
    if (event.end_date - event.start_date).days > 366 * 10:
        raise PlanningError("a term longer than ten years is not planned")
    if not dt.date(2000, 1, 1) <= event.start_date < dt.date(SEARCH_MAX_YEAR - 10, 1, 1):
        raise PlanningError(f"start_date must be between 2000 and {SEARCH_MAX_YEAR - 11}")


def _agreement_row(p: AgreementPlan) -> dict[str, Any]:
    e = p.event
    return {
        "id": e.the_agreement_id,
        "tenant_id": p.tenant_id,
        "client_id": e.client.id,
        "client_name": e.client.name,
        "client_email": e.client.email,
        "timezone": e.client.timezone,
        "package_id": e.package.id if e.package else None,
        "package_version": e.package.version if e.package else None,
        "package_name": e.package.name if e.package else None,
        "start_date": e.start_date,
        "end_date": e.end_date,
        "activities": [t.model_dump(mode="json") for t in e.activities],
    }


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
    new_ids = await repo.insert_new_agreements(session, [_agreement_row(p) for p in plans], now)
    fresh = [p for p in plans if p.event.the_agreement_id in new_ids]
    result.skipped = [p.event.the_agreement_id for p in plans if p.event.the_agreement_id not in new_ids]
    if not fresh:
        return result
    tenant_ids = sorted({p.tenant_id for p in fresh})
    rules = await tenant_rules(session, tenant_ids)
    assigner = await assigner_for(
        session, tenant_ids, min(p.event.start_date for p in fresh), max(p.event.end_date for p in fresh)
    )
    events: list[CloudEvent] = []
    audits: list[dict[str, Any]] = []
    # COPY in chunks: a 10,000-agreement backfill never holds a million rows in memory at once
    for i in range(0, len(fresh), COPY_CHUNK_AGREEMENTS):
        chunk_rows: list[list[Any]] = []
        for p in fresh[i : i + COPY_CHUNK_AGREEMENTS]:
            e = p.event
            agreement_rows = rows_for(
                p.tenant_id,
                (e.the_agreement_id, e.client.id),
                e.activities,
                e.start_date,
                (e.start_date, e.end_date),
                rules[p.tenant_id],
                assigner,
                now,
            )
            chunk_rows.extend(agreement_rows)
            _plan_created(p, len(agreement_rows), now, events, audits)
        result.activities += await repo.copy_activities(session, with_ids(chunk_rows))
    result.agreements = len(fresh)
    await emit_many(session, events)
    await record_many(session, audits)
    return result


def _plan_created(
    p: AgreementPlan, activities: int, now: dt.datetime, events: list[CloudEvent], audits: list[dict[str, Any]]
) -> None:
    """The `plan.created` event and audit row of one planned agreement."""
    agreement_id = str(p.event.the_agreement_id)
    data = {"agreement_id": agreement_id, "client_id": str(p.event.client.id), "activities": activities}
    events.append(build(SERVICE, "vcio.scheduler.plan.created", p.tenant_id, data, subject=agreement_id, now=now))
    audits.append(entry(SYSTEM_ACTOR, "plan.created", "agreement", agreement_id, data, tenant_id=p.tenant_id, at=now))
