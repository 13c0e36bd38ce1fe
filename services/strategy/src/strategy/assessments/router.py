"""Assessment routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from strategy.assessments import service
from strategy.assessments.schemas import (
    AssessmentCreate,
    AssessmentOut,
    AssessmentSummaryOut,
    ResponseUpdate,
    Status,
    TrendOut,
)
from strategy.assessments.trend import trend
from strategy.deps import Reader, Writer
from vcio_shared.db import SessionDep
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Page, PageDep

router = APIRouter(prefix="/v1/assessments", tags=["assessments"])
clients_router = APIRouter(prefix="/v1/clients", tags=["assessments"])


@router.post("", status_code=201, response_model=AssessmentOut)
async def create_assessment(
    body: AssessmentCreate, principal: Writer, session: SessionDep, clock: ClockDep, idem: IdempotencyDep
) -> object:
    """An open assessment of a client against a published standard version (the latest when none is named)."""
    return await idem.once(principal.tenant_id, lambda: service.create(session, principal, clock, body))


@router.get("")
async def list_assessments(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    client_id: uuid.UUID | None = None,
    status: Status | None = None,
) -> Page[AssessmentSummaryOut]:
    """The tenant's assessments; `score` is set once completed."""
    filters = {"client_id": client_id, "status": status}
    return await service.list_assessments(session, principal.tenant_id, page, filters)


@router.get("/{assessment_id}")
async def get_assessment(assessment_id: uuid.UUID, principal: Reader, session: SessionDep) -> AssessmentOut:
    """The assessment with its score, section scores and findings (every answer that is not aligned)."""
    return await service.load(session, principal.tenant_id, assessment_id)


@router.put("/{assessment_id}/responses/{question_id}")
async def put_response(
    assessment_id: uuid.UUID,
    question_id: uuid.UUID,
    body: ResponseUpdate,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> AssessmentOut:
    """The engineer's answer (yes/no/na), the vCIO's rating and notes; 409 once the assessment is completed."""
    return await service.put_response(session, principal, clock, assessment_id, question_id, body)


@router.post("/{assessment_id}/complete")
async def complete_assessment(
    assessment_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep
) -> AssessmentOut:
    """Freeze it with its scores (every question answered first); emits vcio.strategy.assessment.completed."""
    return await service.complete(session, principal, clock, assessment_id)


@clients_router.get("/{client_id}/trend")
async def client_trend(client_id: uuid.UUID, principal: Reader, session: SessionDep) -> TrendOut:
    """The client's completed assessments, oldest first, with their scores and the change since the last."""
    return await trend(session, principal.tenant_id, client_id)
