"""Initiative rules: findings it answers, its status's path, its budget; created/updated/approved events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.assessments import repository as assessments
from strategy.clients import repository as clients
from strategy.initiatives import budget, repository
from strategy.initiatives.schemas import TRANSITIONS, InitiativeCreate, InitiativeOut, InitiativeUpdate
from vcio_shared import audit, events
from vcio_shared.auth import Principal
from vcio_shared.clock import Clock
from vcio_shared.errors import Conflict, NotFound, Unprocessable
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "strategy"
CREATED = "vcio.strategy.initiative.created"
UPDATED = "vcio.strategy.initiative.updated"
APPROVED = "vcio.strategy.initiative.approved"


def to_out(row: Any, lines: Sequence[Any]) -> InitiativeOut:
    return InitiativeOut.model_validate({**row, "budget": budget.to_out(row["currency"], lines)})


async def outs(session: AsyncSession, rows: Sequence[Any]) -> list[InitiativeOut]:
    lines = await repository.lines_of(session, [r["id"] for r in rows])
    return [to_out(r, lines[r["id"]]) for r in rows]


async def load(session: AsyncSession, tenant_id: str, initiative_id: uuid.UUID) -> InitiativeOut:
    row = await repository.get(session, tenant_id, initiative_id)
    if row is None:
        raise NotFound("no such initiative")
    return (await outs(session, [row]))[0]


async def _check_findings(session: AsyncSession, tenant_id: str, client_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """Findings are answers in this client's assessments; anything else (another tenant's too) is a 422."""
    found = await assessments.responses_of_client(session, tenant_id, client_id, ids)
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise Unprocessable.field(["body", "finding_ids"], f"no such finding of this client: {', '.join(unknown)}")


async def _announce(
    session: AsyncSession, principal: Principal, clock: Clock, initiative: InitiativeOut, types: Sequence[str]
) -> None:
    data = initiative.model_dump(mode="json")
    for type_ in types:
        await events.emit(
            session, SERVICE, type_, principal.tenant_id, data, subject=str(initiative.client_id), now=clock.now()
        )


async def create(session: AsyncSession, principal: Principal, clock: Clock, body: InitiativeCreate) -> InitiativeOut:
    tenant = principal.tenant_id
    finding_ids = list(dict.fromkeys(body.finding_ids))
    await _check_findings(session, tenant, body.client_id, finding_ids)
    now = clock.now()
    initiative_id = uuid7()
    row = {
        **body.model_dump(exclude={"budget", "finding_ids"}),
        "id": initiative_id,
        "tenant_id": tenant,
        "finding_ids": finding_ids,
        "currency": body.budget.currency,
        "created_at": now,
        "updated_at": now,
        "approved_at": now if body.status == "approved" else None,
    }
    await repository.insert(session, row, budget.line_rows(initiative_id, body.budget))
    await clients.note(session, tenant, body.client_id, now)
    initiative = await load(session, tenant, initiative_id)
    await audit.record(session, principal, "initiative.created", "initiative", initiative_id, {"title": body.title})
    await _announce(
        session, principal, clock, initiative, [CREATED] + ([APPROVED] if body.status == "approved" else [])
    )
    return initiative


def _changes(current: Any, body: InitiativeUpdate) -> dict[str, Any]:
    given = body.model_dump(exclude_unset=True, exclude={"budget"})
    for name in ("title", "category", "priority", "status", "finding_ids"):
        if name in given and given[name] is None:
            raise Unprocessable.field(["body", name], "must not be null")
    year = given.get("fiscal_year", current["fiscal_year"])
    quarter = given.get("quarter", current["quarter"])
    if quarter is not None and year is None:
        raise Unprocessable.field(["body", "quarter"], "a quarter needs its fiscal_year")
    status = given.get("status", current["status"])
    if status != current["status"] and status not in TRANSITIONS[current["status"]]:
        raise Conflict(f"an initiative cannot go from {current['status']} to {status}")
    return given


async def update(
    session: AsyncSession, principal: Principal, clock: Clock, initiative_id: uuid.UUID, body: InitiativeUpdate
) -> InitiativeOut:
    tenant = principal.tenant_id
    current = await repository.get(session, tenant, initiative_id, for_update=True)
    if current is None:
        raise NotFound("no such initiative")
    before = (await outs(session, [current]))[0]
    values = _changes(current, body)
    if "finding_ids" in values:
        values["finding_ids"] = list(dict.fromkeys(values["finding_ids"]))
        await _check_findings(session, tenant, current["client_id"], values["finding_ids"])
    now = clock.now()
    approved = values.get("status") == "approved" and current["status"] != "approved"
    if approved:
        values["approved_at"] = now
    if body.budget is not None:
        values["currency"] = body.budget.currency
        await repository.replace_lines(session, initiative_id, budget.line_rows(initiative_id, body.budget))
    await repository.update(session, initiative_id, {**values, "updated_at": now})
    after = await load(session, tenant, initiative_id)
    keep = {"updated_at", "approved_at"}
    changes = audit.diff(before.model_dump(mode="json", exclude=keep), after.model_dump(mode="json", exclude=keep))
    await audit.record(session, principal, "initiative.updated", "initiative", initiative_id, changes)
    await _announce(session, principal, clock, after, [UPDATED] + ([APPROVED] if approved else []))
    return after


async def list_initiatives(
    session: AsyncSession, tenant_id: str, page: PageParams, filters: dict[str, Any]
) -> Page[InitiativeOut]:
    rows = await repository.page(session, tenant_id, filters, page.after, page.limit)
    return page_of(await outs(session, rows), page.limit)
