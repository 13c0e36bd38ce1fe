"""Standard rules: versions (a published version never changes; editing it opens the next draft), publishing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.standards import repository
from strategy.standards.schemas import (
    WEIGHTS,
    QuestionOut,
    SectionOut,
    StandardCreate,
    StandardOut,
    StandardPublished,
)
from vcio_shared import audit, events
from vcio_shared.auth import Principal
from vcio_shared.clock import Clock
from vcio_shared.errors import Conflict, NotFound
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "strategy"
PUBLISHED = "vcio.strategy.standard.published"


def to_out(row: Any, questions: Sequence[Any]) -> StandardOut:
    sections: list[SectionOut] = []
    current = None
    for q in questions:
        if q["section_position"] != current:
            current = q["section_position"]
            sections.append(SectionOut(name=q["section_name"], questions=[]))
        sections[-1].questions.append(QuestionOut.model_validate({**q, "weight": WEIGHTS[q["priority"]]}))
    return StandardOut.model_validate(
        {**row, "starter": row["tenant_id"] is None, "question_count": len(questions), "sections": sections}
    )


async def load(
    session: AsyncSession,
    tenant_id: str,
    standard_id: uuid.UUID,
    version: int | None = None,
    *,
    published: bool = False,
) -> StandardOut:
    row = await repository.get_version(session, tenant_id, standard_id, version, published=published)
    if row is None:
        what = "published standard" if published else "standard" if version is None else "version of this standard"
        raise NotFound(f"no such {what}")
    questions = await repository.questions_of(session, [(row["id"], row["version"])])
    return to_out(row, questions[(row["id"], row["version"])])


async def list_standards(session: AsyncSession, tenant_id: str, page: PageParams) -> Page[StandardOut]:
    rows = await repository.list_latest(session, tenant_id, after=page.after, limit=page.limit + 1)
    keys = [(r["id"], r["version"]) for r in rows]
    questions = await repository.questions_of(session, keys)
    return page_of([to_out(r, questions[(r["id"], r["version"])]) for r in rows], page.limit)


def _question_rows(standard_id: uuid.UUID, version: int, body: StandardCreate) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid7(),
            "standard_id": standard_id,
            "standard_version": version,
            "section_position": s,
            "section_name": section.name,
            "position": n,
            **question.model_dump(),
        }
        for s, section in enumerate(body.sections, start=1)
        for n, question in enumerate(section.questions, start=1)
    ]


async def create(session: AsyncSession, principal: Principal, clock: Clock, body: StandardCreate) -> StandardOut:
    now = clock.now()
    standard_id = uuid7()
    row = {
        "id": standard_id,
        "version": 1,
        "tenant_id": principal.tenant_id,
        "status": "draft",
        "name": body.name,
        "description": body.description,
        "created_at": now,
        "updated_at": now,
    }
    await repository.insert_version(session, row, _question_rows(standard_id, 1, body))
    await audit.record(
        session, principal, "standard.created", "standard", standard_id, {"version": 1, "name": body.name}
    )
    return await load(session, principal.tenant_id, standard_id)


async def _own_latest(session: AsyncSession, tenant_id: str, standard_id: uuid.UUID) -> StandardOut:
    await repository.lock(session, standard_id)
    current = await load(session, tenant_id, standard_id)
    if current.starter:
        raise Conflict("the starter standard is shared by every tenant and cannot be changed; create your own")
    return current


async def replace(
    session: AsyncSession, principal: Principal, clock: Clock, standard_id: uuid.UUID, body: StandardCreate
) -> StandardOut:
    """Edit the draft in place; editing a published version opens draft N+1; a retired standard is closed."""
    current = await _own_latest(session, principal.tenant_id, standard_id)
    if current.status == "retired":
        raise Conflict("this standard is retired and can no longer be edited")
    now = clock.now()
    values = {"name": body.name, "description": body.description, "updated_at": now}
    if current.status == "draft":
        version = current.version
        await repository.replace_draft(
            session, standard_id, version, values, _question_rows(standard_id, version, body)
        )
        action = "standard.updated"
    else:
        version = current.version + 1
        row = {**values, "id": standard_id, "version": version, "tenant_id": principal.tenant_id}
        row.update(status="draft", created_at=now)
        await repository.insert_version(session, row, _question_rows(standard_id, version, body))
        action = "standard.draft_created"
    await audit.record(session, principal, action, "standard", standard_id, {"version": version, "name": body.name})
    return await load(session, principal.tenant_id, standard_id)


async def publish(session: AsyncSession, principal: Principal, clock: Clock, standard_id: uuid.UUID) -> StandardOut:
    current = await _own_latest(session, principal.tenant_id, standard_id)
    if current.status != "draft":
        raise Conflict(f"only a draft can be published; version {current.version} is {current.status}")
    now = clock.now()
    await repository.set_status(
        session, standard_id, current.version, {"status": "published", "published_at": now, "updated_at": now}
    )
    await audit.record(session, principal, "standard.published", "standard", standard_id, {"version": current.version})
    data = StandardPublished(
        standard_id=standard_id, version=current.version, name=current.name, question_count=current.question_count
    )
    await events.emit(
        session,
        SERVICE,
        PUBLISHED,
        principal.tenant_id,
        data.model_dump(mode="json"),
        subject=str(standard_id),
        now=now,
    )
    return await load(session, principal.tenant_id, standard_id)


async def retire(session: AsyncSession, principal: Principal, clock: Clock, standard_id: uuid.UUID) -> StandardOut:
    """A retired standard takes no new assessments; those made with it keep it."""
    current = await _own_latest(session, principal.tenant_id, standard_id)
    if current.status == "retired":
        raise Conflict("this standard is already retired")
    await repository.set_status(session, standard_id, current.version, {"status": "retired", "updated_at": clock.now()})
    await audit.record(session, principal, "standard.retired", "standard", standard_id, {"version": current.version})
    return await load(session, principal.tenant_id, standard_id)
