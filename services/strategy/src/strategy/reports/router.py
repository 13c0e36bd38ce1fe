"""Report and report-template routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from strategy.deps import Reader, Writer
from strategy.reports import document, service, template
from strategy.reports.schemas import (
    ComponentUpdate,
    ReportCreate,
    ReportOut,
    ReportTemplateCreate,
    ReportTemplateOut,
    ReportTemplateRequest,
)
from strategy.shares import render
from strategy.shares.schemas import ShareOut
from vcio_shared.db import SessionDep
from vcio_shared.documents import pdf_response
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.runtime import ClockDep, RuntimeDep
from vcio_shared.schemas import Page, PageDep

router = APIRouter(prefix="/v1/reports", tags=["reports"])
templates_router = APIRouter(prefix="/v1/report-templates", tags=["reports"])
_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


@router.post("", status_code=201, response_model=ReportOut)
async def create_report(
    body: ReportCreate, principal: Writer, session: SessionDep, clock: ClockDep, idem: IdempotencyDep
) -> Any:
    """A QBR report for a client's fiscal quarter, from a template (the default when none), every snapshot taken."""
    return await idem.once(principal.tenant_id, lambda: service.create(session, principal, clock.now(), body))


@router.get("")
async def list_reports(
    principal: Reader, session: SessionDep, page: PageDep, client_id: uuid.UUID | None = None
) -> Page[ReportOut]:
    return await service.list_reports(session, principal.tenant_id, page, {"client_id": client_id})


@router.get("/{report_id}")
async def get_report(report_id: uuid.UUID, principal: Reader, session: SessionDep) -> ReportOut:
    return await service.load(session, principal.tenant_id, report_id)


@router.post("/{report_id}/refresh")
async def refresh_report(report_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep) -> ReportOut:
    """Take every component's snapshot again, now; the notes keep their text."""
    return await service.refresh(session, principal, clock.now(), report_id)


@router.patch("/{report_id}/components/{component_id}")
async def write_notes(
    report_id: uuid.UUID,
    component_id: uuid.UUID,
    body: ComponentUpdate,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> ReportOut:
    """A notes component's text (422 for any other kind)."""
    return await service.write_notes(session, principal, clock.now(), report_id, component_id, body)


@router.get("/{report_id}/html", response_class=HTMLResponse)
async def report_html(report_id: uuid.UUID, principal: Reader, session: SessionDep, clock: ClockDep) -> Response:
    doc = document.document(await service.load(session, principal.tenant_id, report_id), clock.now())
    return HTMLResponse(render.render(doc.template, **doc.context))


@router.get("/{report_id}/pdf", response_class=Response, responses=_PDF)
async def report_pdf(
    report_id: uuid.UUID, principal: Reader, session: SessionDep, clock: ClockDep, request: Request
) -> Response:
    doc = document.document(await service.load(session, principal.tenant_id, report_id), clock.now())
    html = render.render(doc.template, mode="pdf", **doc.context)
    return await pdf_response(session, request.app.state.pdf, html, doc.filename)


@router.post("/{report_id}/share", status_code=201, response_model=ShareOut)
async def share_report(
    report_id: uuid.UUID,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    runtime: RuntimeDep,
    idem: IdempotencyDep,
) -> Any:
    """A link for the client (HTML and PDF); the report is published (`vcio.strategy.report.published`)."""
    base = runtime.settings.public_base_url
    return await idem.once(principal.tenant_id, lambda: service.share(session, principal, clock.now(), report_id, base))


@router.delete("/{report_id}/share", status_code=204)
async def unshare_report(report_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep) -> Response:
    await service.unshare(session, principal, clock.now(), report_id)
    return Response(status_code=204)


@router.post("/{report_id}/template", status_code=201, response_model=ReportTemplateOut)
async def save_as_template(
    report_id: uuid.UUID,
    body: ReportTemplateRequest,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    idem: IdempotencyDep,
) -> Any:
    """The report's sections and components (and its notes' text) as a new template."""
    return await idem.once(
        principal.tenant_id, lambda: service.save_as_template(session, principal, clock.now(), report_id, body)
    )


@templates_router.post("", status_code=201, response_model=ReportTemplateOut)
async def create_template(
    body: ReportTemplateCreate, principal: Writer, session: SessionDep, clock: ClockDep, idem: IdempotencyDep
) -> Any:
    return await idem.once(
        principal.tenant_id, lambda: template.create_from_body(session, principal, body, clock.now())
    )


@templates_router.get("")
async def list_templates(principal: Reader, session: SessionDep, page: PageDep) -> Page[ReportTemplateOut]:
    """The default template first, then the tenant's own."""
    return await template.list_templates(session, principal.tenant_id, page)


@templates_router.get("/{template_id}")
async def get_template(template_id: uuid.UUID, principal: Reader, session: SessionDep) -> ReportTemplateOut:
    return await template.load(session, principal.tenant_id, template_id)
