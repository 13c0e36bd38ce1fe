"""Report rules: made from a template with every snapshot taken, refreshed, notes written, shared (published)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.clients import repository as clients
from strategy.reports import components, repository, template
from strategy.reports.schemas import (
    ComponentUpdate,
    ReportCreate,
    ReportOut,
    ReportPublished,
    ReportTemplateOut,
    ReportTemplateRequest,
)
from strategy.shares import service as shares
from strategy.tenants import service as tenants
from vcio_shared import audit, events
from vcio_shared.auth import Principal
from vcio_shared.errors import NotFound, Unprocessable
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "strategy"
PUBLISHED = "vcio.strategy.report.published"


async def _period(session: AsyncSession, tenant_id: str, fiscal_year: int, quarter: int) -> components.Period:
    start_month = await tenants.fiscal_year_start_month(session, tenant_id)
    return components.period(fiscal_year, quarter, start_month)


async def to_out(session: AsyncSession, row: Any) -> ReportOut:
    p = await _period(session, row["tenant_id"], row["fiscal_year"], row["quarter"])
    client = await clients.get(session, row["tenant_id"], row["client_id"])
    return ReportOut.model_validate(
        {
            **row,
            "client_name": client["name"] if client else None,
            "quarter": p.text,
            "period_start": p.start,
            "period_end": p.end,
            "status": "published" if row["published_at"] else "draft",
        }
    )


async def _row(session: AsyncSession, tenant_id: str, report_id: uuid.UUID, *, for_update: bool = False) -> Any:
    row = await repository.get(session, tenant_id, report_id, for_update=for_update)
    if row is None:
        raise NotFound("no such report")
    return row


async def load(session: AsyncSession, tenant_id: str, report_id: uuid.UUID) -> ReportOut:
    return await to_out(session, await _row(session, tenant_id, report_id))


async def _snapshots(
    session: AsyncSession, tenant: str, client_id: uuid.UUID, sections: list[dict[str, Any]], p: components.Period,
    now: dt.datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """Every component's data taken now (a notes component keeps its text and time)."""
    out = []
    for section in sections:
        parts = []
        for c in section["components"]:
            if c["kind"] == "notes" and "id" in c:
                parts.append(c)
                continue
            data = await components.take(session, tenant, client_id, c["kind"], p, now.date())
            parts.append({"id": c.get("id") or str(uuid7()), "kind": c["kind"], "title": c["title"],
                          "text": c.get("text", ""), "data": data, "taken_at": now.isoformat()})  # fmt: skip
        out.append({"title": section["title"], "components": parts})
    return out


def _quarter(text: str) -> tuple[int, int]:
    year, quarter = text.split("-Q")
    if not 1970 <= int(year) <= 2999:
        raise Unprocessable.field(["body", "quarter"], "the fiscal year must be between 1970 and 2999")
    return int(year), int(quarter)


async def create(session: AsyncSession, principal: Principal, now: dt.datetime, body: ReportCreate) -> ReportOut:
    tenant = principal.tenant_id
    client = await clients.get(session, tenant, body.client_id)
    if client is None:
        raise Unprocessable.field(["body", "client_id"], "no such client")
    layout = await template.find(session, tenant, body.template_id)
    if layout is None:
        raise Unprocessable.field(["body", "template_id"], "no such report template")
    fiscal_year, quarter = _quarter(body.quarter)
    p = await _period(session, tenant, fiscal_year, quarter)
    sections = await _snapshots(session, tenant, body.client_id, [s.model_dump() for s in layout.sections], p, now)
    name = f": {client['name']}" if client["name"] else ""
    title = body.title or f"Quarterly business review{name}, FY{p.fiscal_year} Q{p.quarter}"
    report_id = uuid7()
    row = {
        "id": report_id,
        "tenant_id": tenant,
        "client_id": body.client_id,
        "fiscal_year": fiscal_year,
        "quarter": quarter,
        "title": title,
        "template_id": layout.id,
        "activity_id": body.activity_id,
        "sections": sections,
        "created_at": now,
        "updated_at": now,
    }
    await repository.insert(session, row)
    await audit.record(session, principal, "report.created", "report", report_id, {"quarter": p.text})
    return await load(session, tenant, report_id)


async def refresh(session: AsyncSession, principal: Principal, now: dt.datetime, report_id: uuid.UUID) -> ReportOut:
    """Take every component's snapshot again (notes keep their text)."""
    row = await _row(session, principal.tenant_id, report_id, for_update=True)
    p = await _period(session, row["tenant_id"], row["fiscal_year"], row["quarter"])
    sections = await _snapshots(session, row["tenant_id"], row["client_id"], row["sections"], p, now)
    await repository.update(session, report_id, {"sections": sections, "updated_at": now})
    await audit.record(session, principal, "report.refreshed", "report", report_id, {})
    return await load(session, principal.tenant_id, report_id)


async def write_notes(
    session: AsyncSession,
    principal: Principal,
    now: dt.datetime,
    report_id: uuid.UUID,
    component_id: uuid.UUID,
    body: ComponentUpdate,
) -> ReportOut:
    row = await _row(session, principal.tenant_id, report_id, for_update=True)
    sections = row["sections"]
    found = [c for s in sections for c in s["components"] if c["id"] == str(component_id)]
    if not found:
        raise NotFound("no such component in this report")
    if found[0]["kind"] != "notes":
        raise Unprocessable.field(["body", "text"], "only a notes component takes text; refresh the others")
    found[0].update(text=body.text, taken_at=now.isoformat())
    await repository.update(session, report_id, {"sections": sections, "updated_at": now})
    await audit.record(
        session, principal, "report.notes_written", "report", report_id, {"component": str(component_id)}
    )
    return await load(session, principal.tenant_id, report_id)


async def save_as_template(
    session: AsyncSession, principal: Principal, now: dt.datetime, report_id: uuid.UUID, body: ReportTemplateRequest
) -> ReportTemplateOut:
    """The report's sections and components (titles, kinds, the notes' text) as a new template of the tenant."""
    row = await _row(session, principal.tenant_id, report_id)
    layout = [
        {"title": s["title"], "components": [{k: c[k] for k in ("kind", "title", "text")} for c in s["components"]]}
        for s in row["sections"]
    ]
    return await template.create(session, principal, body.name, layout, now)


async def share(
    session: AsyncSession, principal: Principal, now: dt.datetime, report_id: uuid.UUID, base_url: str
) -> dict[str, Any]:
    """A link for the client (a new one replaces the live one); the report is published, with its event."""
    row = await _row(session, principal.tenant_id, report_id, for_update=True)
    made = await shares.share(session, principal, "report", report_id, base_url, now)
    await repository.update(session, report_id, {"published_at": now, "updated_at": now})
    p = await _period(session, row["tenant_id"], row["fiscal_year"], row["quarter"])
    event = ReportPublished(
        report_id=report_id,
        client_id=row["client_id"],
        quarter=p.text,
        title=row["title"],
        activity_id=row["activity_id"],
        url=made["url"],
        published_at=now,
    )
    data = event.model_dump(mode="json")
    await events.emit(session, SERVICE, PUBLISHED, principal.tenant_id, data, subject=str(row["client_id"]), now=now)
    return made


async def unshare(session: AsyncSession, principal: Principal, now: dt.datetime, report_id: uuid.UUID) -> None:
    """Revoke the report's link: it is a draft again, and its page and PDF answer 404."""
    await _row(session, principal.tenant_id, report_id, for_update=True)
    await shares.revoke(session, principal, "report", report_id, now)
    await repository.update(session, report_id, {"published_at": None, "updated_at": now})


async def list_reports(
    session: AsyncSession, tenant_id: str, page: PageParams, filters: dict[str, Any]
) -> Page[ReportOut]:
    rows = await repository.page(session, tenant_id, filters, page.after, page.limit)
    return page_of([await to_out(session, r) for r in rows], page.limit)
