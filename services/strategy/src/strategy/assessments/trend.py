"""A client's scores over time: its completed assessments, oldest first, each with the change since the last."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.assessments import repository, scoring
from strategy.assessments.schemas import SectionScoreOut, TrendOut, TrendPointOut
from strategy.clients import service as clients


def _change(score: Decimal | None, previous: Decimal | None) -> str | None:
    if score is None or previous is None:
        return None
    return f"{score - previous:+.1f}"


async def trend(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> TrendOut:
    await clients.known(session, tenant_id, client_id)
    items, previous = [], None
    for row in await repository.completed_of_client(session, tenant_id, client_id):
        items.append(
            TrendPointOut(
                assessment_id=row["id"],
                standard_id=row["standard_id"],
                standard_version=row["standard_version"],
                completed_at=row["completed_at"],
                score=scoring.text(row["score"]),
                change=_change(row["score"], previous),
                sections=[SectionScoreOut.model_validate(s) for s in row["section_scores"] or []],
            )
        )
        previous = row["score"] if row["score"] is not None else previous
    return TrendOut(client_id=client_id, items=items)
