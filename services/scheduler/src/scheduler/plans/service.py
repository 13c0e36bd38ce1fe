"""Planning rules: agreements become dated activities; changes, renewals and cancellations reshape the plan.
The bulk path from `agreement.activated` is in `bulk.py`."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.plans import repository as repo
from scheduler.plans.bulk import (
    SERVICE,
    SYSTEM_ACTOR,
    AgreementPlan,
    PlanningError,
    PlanResult,
    assigner_for,
    keyed,
    plan_agreements,
    rows_for,
    tenant_rules,
    with_ids,
)
from scheduler.plans.schemas import (
    ActivityTemplate,
    AgreementActivated,
    AgreementCancelled,
    AgreementChanged,
    AgreementRenewed,
    PlanOut,
)
from vcio_shared.audit import record
from vcio_shared.errors import NotFound
from vcio_shared.events import emit

__all__ = ["AgreementPlan", "PlanResult", "PlanningError", "plan_agreements"]


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


def _diff(
    existing: list[Any], wanted: list[list[Any]], from_date: dt.date
) -> tuple[list[uuid.UUID], list[uuid.UUID], list[list[Any]]]:
    """What a re-plan changes: open activities no longer wanted (to cancel), ones a package change cancelled that
    are wanted again (to restore), and wanted rows not there yet (to add)."""
    wanted_keys = {(r[4], r[13]) for r in wanted}
    existing_keys = {(r.template_key, r.occurrence_date) for r in existing}
    gone = [
        r.id
        for r in existing
        if r.status in ("planned", "scheduled")
        and (r.template_key, r.occurrence_date) not in wanted_keys
        and r.occurrence_date >= from_date
    ]
    back = [
        r.id
        for r in existing
        if r.status == "cancelled"
        and r.cancel_reason == "package changed"
        and (r.template_key, r.occurrence_date) in wanted_keys
    ]
    new_rows = [r for r in wanted if (r[4], r[13]) not in existing_keys]
    return gone, back, new_rows


def _template_details(templates: list[ActivityTemplate]) -> list[dict[str, Any]]:
    return [
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
    ]


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
    rules = await tenant_rules(session, [tenant_id])
    assigner = await assigner_for(session, [tenant_id], window[0], window[1])
    wanted = rows_for(
        tenant_id,
        (agreement["id"], agreement["client_id"]),
        templates,
        dtstart,
        window,
        rules[tenant_id],
        None,
        now,
    )
    existing = await repo.future_activities(session, tenant_id, agreement["id"], window[0])
    gone, back, new_rows = _diff(existing, wanted, window[0])
    if assigner:
        for r in new_rows:
            r[17] = assigner.pick(tenant_id, r[10], r[15], Decimal(str(r[11])))
    cancelled = await repo.set_status(session, tenant_id, gone, "cancelled", "package changed", now)
    restored = await repo.set_status(session, tenant_id, back, "planned", None, now)
    added = await repo.insert_activities(session, with_ids(new_rows))
    refreshed = await repo.refresh_templates(
        session, tenant_id, agreement["id"], window[0], _template_details(templates), now
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


async def get_plan(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> PlanOut:
    agreement = await repo.get_agreement(session, tenant_id, agreement_id)
    if agreement is None:
        raise NotFound("no such agreement")
    by_status = await repo.plan_summary(session, tenant_id, agreement_id)
    counts = {"activities": sum(by_status.values()), "by_status": by_status}
    return PlanOut.model_validate({**agreement, "agreement_id": agreement["id"], **counts})
