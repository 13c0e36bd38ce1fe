"""Report templates: the platform's default (in code, the same for every tenant) and the tenant's own, made by
`POST /v1/report-templates` or by saving a report's layout back as a template."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.reports import repository
from strategy.reports.schemas import ReportTemplateCreate, ReportTemplateOut, SectionSpecOut
from vcio_shared import audit
from vcio_shared.auth import Principal
from vcio_shared.errors import NotFound
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

DEFAULT_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://vcio.dev/strategy/report-templates/default")
DEFAULT_NAME = "Quarterly business review (default)"
DEFAULT_SECTIONS: list[dict[str, Any]] = [
    {
        "title": "Where you stand",
        "components": [
            {"kind": "score_trend", "title": "Alignment score and trend", "text": ""},
            {"kind": "findings", "title": "Open findings", "text": ""},
        ],
    },
    {
        "title": "The quarter in review",
        "components": [
            {"kind": "activities", "title": "Work delivered", "text": ""},
            {"kind": "invoices", "title": "Invoices and recurring fees", "text": ""},
        ],
    },
    {
        "title": "The plan ahead",
        "components": [{"kind": "roadmap", "title": "Roadmap and budget, the next four quarters", "text": ""}],
    },
    {"title": "Notes", "components": [{"kind": "notes", "title": "From your vCIO", "text": ""}]},
]

DEFAULT = ReportTemplateOut(
    id=DEFAULT_ID,
    name=DEFAULT_NAME,
    default=True,
    sections=[SectionSpecOut.model_validate(s) for s in DEFAULT_SECTIONS],
    created_at=None,
)


def _out(row: Any) -> ReportTemplateOut:
    return ReportTemplateOut.model_validate({**row, "default": False})


async def find(session: AsyncSession, tenant_id: str, template_id: uuid.UUID | None) -> ReportTemplateOut | None:
    """The default template (no id, or its id), the tenant's own, or None."""
    if template_id is None or template_id == DEFAULT_ID:
        return DEFAULT
    row = await repository.get_template(session, tenant_id, template_id)
    return _out(row) if row else None


async def load(session: AsyncSession, tenant_id: str, template_id: uuid.UUID) -> ReportTemplateOut:
    found = await find(session, tenant_id, template_id)
    if found is None:
        raise NotFound("no such report template")
    return found


async def create(
    session: AsyncSession, principal: Principal, name: str, sections: list[dict[str, Any]], now: dt.datetime
) -> ReportTemplateOut:
    row = {"id": uuid7(), "tenant_id": principal.tenant_id, "name": name, "sections": sections, "created_at": now}
    await repository.insert_template(session, row)
    await audit.record(session, principal, "report_template.created", "report_template", row["id"], {"name": name})
    return _out(row)


async def create_from_body(
    session: AsyncSession, principal: Principal, body: ReportTemplateCreate, now: dt.datetime
) -> ReportTemplateOut:
    return await create(session, principal, body.name, [s.model_dump() for s in body.sections], now)


async def list_templates(session: AsyncSession, tenant_id: str, page: PageParams) -> Page[ReportTemplateOut]:
    """The default template first (on the first page), then the tenant's, oldest first."""
    rows = await repository.template_page(session, tenant_id, page.after, page.limit)
    out = page_of([_out(r) for r in rows], page.limit)
    if page.after is None:
        out.items.insert(0, DEFAULT)
    return out
