"""Assessment rules: two passes (the engineer's answer, the vCIO's rating), scores, findings, freezing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.assessments import repository, scoring
from strategy.assessments.schemas import (
    AssessmentCompleted,
    AssessmentCreate,
    AssessmentOut,
    AssessmentSummaryOut,
    FindingOut,
    ResponseOut,
    ResponseUpdate,
    SectionScoreOut,
)
from strategy.clients import repository as clients
from strategy.standards import repository as standards
from strategy.standards.schemas import WEIGHTS
from vcio_shared import audit, events
from vcio_shared.auth import Principal
from vcio_shared.clock import Clock
from vcio_shared.errors import Conflict, NotFound, Unprocessable
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "strategy"
COMPLETED = "vcio.strategy.assessment.completed"


def _sections(questions: list[Any], answers: dict[uuid.UUID, Any]) -> list[SectionScoreOut]:
    grouped: dict[int, list[Any]] = {}
    for q in questions:
        grouped.setdefault(q["section_position"], []).append(q)
    out = []
    for items in grouped.values():
        given = [(q["priority"], *_answer(answers.get(q["id"]))) for q in items]
        out.append(
            SectionScoreOut(
                name=items[0]["section_name"],
                score=scoring.text(scoring.score(given)),
                questions=len(items),
                answered=sum(1 for q in items if q["id"] in answers),
            )
        )
    return out


def _answer(response: Any) -> tuple[str | None, str | None]:
    return (None, None) if response is None else (response["answer"], response["rating"])


def _findings(questions: list[Any], answers: dict[uuid.UUID, Any]) -> list[FindingOut]:
    out = []
    for q in questions:
        r = answers.get(q["id"])
        if r is None or not scoring.is_finding(r["answer"], r["rating"]):
            continue
        out.append(
            FindingOut(
                id=r["id"],
                question_id=q["id"],
                section=q["section_name"],
                text=q["text"],
                priority=q["priority"],
                weight=WEIGHTS[q["priority"]],
                internal_only=q["internal_only"],
                answer=r["answer"],
                rating=r["rating"],
                notes=r["notes"],
            )
        )
    return out


async def load(
    session: AsyncSession, tenant_id: str, assessment_id: uuid.UUID, *, for_update: bool = False
) -> AssessmentOut:
    row = await repository.get(session, tenant_id, assessment_id, for_update=for_update)
    if row is None:
        raise NotFound("no such assessment")
    key = (row["standard_id"], row["standard_version"])
    questions = (await standards.questions_of(session, [key]))[key]
    standard = await standards.get_version(session, tenant_id, *key)
    responses = await repository.responses_of(session, assessment_id)
    answers = {r["question_id"]: r for r in responses}
    order = {q["id"]: n for n, q in enumerate(questions)}
    overall = scoring.score((q["priority"], *_answer(answers.get(q["id"]))) for q in questions)
    return AssessmentOut.model_validate(
        {
            **row,
            "standard_name": standard["name"],
            "score": scoring.text(overall),
            "sections": _sections(questions, answers),
            "findings": _findings(questions, answers),
            "question_count": len(questions),
            "answered": len(responses),
            "responses": [
                ResponseOut.model_validate(r) for r in sorted(responses, key=lambda r: order[r["question_id"]])
            ],
        }
    )


async def create(session: AsyncSession, principal: Principal, clock: Clock, body: AssessmentCreate) -> AssessmentOut:
    tenant = principal.tenant_id
    latest = await standards.get_version(session, tenant, body.standard_id, None)
    if latest is not None and latest["status"] == "retired":
        raise Unprocessable.field(["body", "standard_id"], "this standard is retired")
    standard = await standards.get_version(session, tenant, body.standard_id, body.standard_version, published=True)
    if standard is None:
        raise Unprocessable.field(["body", "standard_id"], "no such published standard (or version)")
    now = clock.now()
    assessment_id = uuid7()
    row = {
        **body.model_dump(exclude={"standard_version"}),
        "id": assessment_id,
        "tenant_id": tenant,
        "standard_version": standard["version"],
        "status": "open",
        "created_at": now,
        "updated_at": now,
    }
    await repository.insert_assessment(session, row)
    await clients.note(session, tenant, body.client_id, now)
    changes = {"client_id": str(body.client_id), "standard_id": str(body.standard_id), "version": standard["version"]}
    await audit.record(session, principal, "assessment.created", "assessment", assessment_id, changes)
    return await load(session, tenant, assessment_id)


async def _open(session: AsyncSession, tenant_id: str, assessment_id: uuid.UUID) -> Any:
    row = await repository.get(session, tenant_id, assessment_id, for_update=True)
    if row is None:
        raise NotFound("no such assessment")
    if row["status"] == "completed":
        raise Conflict("this assessment is completed and frozen")
    return row


async def put_response(
    session: AsyncSession,
    principal: Principal,
    clock: Clock,
    assessment_id: uuid.UUID,
    question_id: uuid.UUID,
    body: ResponseUpdate,
) -> AssessmentOut:
    row = await _open(session, principal.tenant_id, assessment_id)
    key = (row["standard_id"], row["standard_version"])
    questions = (await standards.questions_of(session, [key]))[key]
    if question_id not in {q["id"] for q in questions}:
        raise NotFound("no such question in this assessment's standard")
    now = clock.now()
    values = {"answer": body.answer, "rating": body.rating, "notes": body.notes}
    await repository.put_response(
        session,
        {
            **values,
            "id": uuid7(),
            "tenant_id": principal.tenant_id,
            "assessment_id": assessment_id,
            "question_id": question_id,
            "updated_by": principal.sub,
            "updated_at": now,
        },
    )
    await repository.update(session, assessment_id, {"updated_at": now})
    await audit.record(
        session, principal, "assessment.answered", "assessment", assessment_id, {str(question_id): values}
    )
    return await load(session, principal.tenant_id, assessment_id)


async def complete(
    session: AsyncSession, principal: Principal, clock: Clock, assessment_id: uuid.UUID
) -> AssessmentOut:
    """Freeze the assessment with its scores: every question must have an answer first."""
    await _open(session, principal.tenant_id, assessment_id)
    current = await load(session, principal.tenant_id, assessment_id)
    missing = current.question_count - current.answered
    if missing:
        raise Conflict(f"{missing} of {current.question_count} questions have no answer yet")
    now = clock.now()
    sections = [s.model_dump(mode="json") for s in current.sections]
    await repository.update(
        session,
        assessment_id,
        {
            "status": "completed",
            "score": current.score,
            "section_scores": sections,
            "completed_at": now,
            "completed_by": principal.sub,
            "updated_at": now,
        },
    )
    await audit.record(
        session, principal, "assessment.completed", "assessment", assessment_id, {"score": current.score}
    )
    done = await load(session, principal.tenant_id, assessment_id)
    data = AssessmentCompleted(
        assessment_id=done.id,
        client_id=done.client_id,
        standard_id=done.standard_id,
        standard_version=done.standard_version,
        activity_id=done.activity_id,
        score=done.score,
        sections=done.sections,
        findings=len(done.findings),
        completed_at=now,
    )
    payload = data.model_dump(mode="json")
    await events.emit(session, SERVICE, COMPLETED, principal.tenant_id, payload, subject=str(done.client_id), now=now)
    return done


async def list_assessments(
    session: AsyncSession, tenant_id: str, page: PageParams, filters: dict[str, Any]
) -> Page[AssessmentSummaryOut]:
    rows = await repository.page(session, tenant_id, filters, page.after, page.limit)
    items = [AssessmentSummaryOut.model_validate({**r, "score": scoring.text(r["score"])}) for r in rows]
    return page_of(items, page.limit)
