"""Each component's snapshot: the data it shows, taken from strategy's own tables at one moment.

- `score_trend`: the client's latest assessment completed before the quarter's end, its score, sections and the
  change since the one before; `trend` lists every such assessment, oldest first.
- `findings`: that assessment's findings a client may see (not `internal_only`), less those answered by an
  initiative that is done; highest weight first.
- `roadmap`: the four fiscal quarters after the report's, with their initiatives and sums, and the sums of the four.
- `activities` and `invoices`: the quarter's delivered work and money (`ledger`).
- `notes`: no data; its text is the vCIO's."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.assessments import service as assessments
from strategy.assessments.trend import trend
from strategy.initiatives import repository as initiatives
from strategy.initiatives.document import initiative_view
from strategy.initiatives.roadmap import fiscal_year_start, roadmap
from strategy.reports import ledger
from strategy.standards import repository as standards
from vcio_shared import money


@dataclass(frozen=True)
class Period:
    """A quarter of the client's fiscal year: [start, end)."""

    fiscal_year: int
    quarter: int
    start: dt.date
    end: dt.date

    @property
    def text(self) -> str:
        return f"{self.fiscal_year}-Q{self.quarter}"


def _month(day: dt.date, add: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + add
    return dt.date(index // 12, index % 12 + 1, 1)


def period(fiscal_year: int, quarter: int, start_month: int) -> Period:
    first = _month(fiscal_year_start(fiscal_year, start_month), 3 * (quarter - 1))
    return Period(fiscal_year, quarter, first, _month(first, 3))


def _before(moment: dt.datetime, day: dt.date) -> bool:
    return moment < dt.datetime.combine(day, dt.time(), dt.UTC)


async def _completed(session: AsyncSession, tenant: str, client_id: uuid.UUID, p: Period) -> list[Any]:
    items = (await trend(session, tenant, client_id)).items
    return [i for i in items if _before(i.completed_at, p.end)]


async def score_trend(session: AsyncSession, tenant: str, client_id: uuid.UUID, p: Period) -> dict[str, Any]:
    items = await _completed(session, tenant, client_id, p)
    history = [
        {"assessment_id": str(i.assessment_id), "completed_at": i.completed_at.isoformat(), "score": i.score}
        for i in items
    ]
    if not items:
        return {"assessment_id": None, "standard_name": None, "completed_at": None, "score": None, "change": None,
                "sections": [], "trend": []}  # fmt: skip
    last = items[-1]
    standard = await standards.get_version(session, tenant, last.standard_id, last.standard_version)
    return {
        "assessment_id": str(last.assessment_id),
        "standard_name": standard["name"] if standard else None,
        "completed_at": last.completed_at.isoformat(),
        "score": last.score,
        "change": last.change,
        "sections": [{"name": s.name, "score": s.score} for s in last.sections],
        "trend": history,
    }


async def _answered(session: AsyncSession, tenant: str, client_id: uuid.UUID) -> set[uuid.UUID]:
    """The findings that a done initiative answers."""
    rows = await initiatives.of_client(session, tenant, client_id)
    return {f for r in rows if r["status"] == "done" for f in r["finding_ids"]}


async def findings(session: AsyncSession, tenant: str, client_id: uuid.UUID, p: Period) -> dict[str, Any]:
    items = await _completed(session, tenant, client_id, p)
    if not items:
        return {"assessment_id": None, "count": 0, "items": []}
    assessment = await assessments.load(session, tenant, items[-1].assessment_id)
    done = await _answered(session, tenant, client_id)
    shown = [f for f in assessment.findings if not f.internal_only and f.id not in done]
    shown.sort(key=lambda f: -f.weight)  # stable: the standard's order within a weight
    return {
        "assessment_id": str(assessment.id),
        "count": len(shown),
        "items": [
            {"section": f.section, "text": f.text, "priority": f.priority, "answer": f.answer, "rating": f.rating}
            for f in shown
        ],
    }


def _next_quarters(p: Period, count: int = 4) -> list[tuple[int, int]]:
    index = p.fiscal_year * 4 + p.quarter - 1
    return [((index + n) // 4, (index + n) % 4 + 1) for n in range(1, count + 1)]


async def roadmap_ahead(
    session: AsyncSession, tenant: str, client_id: uuid.UUID, p: Period, today: dt.date
) -> dict[str, Any]:
    wanted = _next_quarters(p)
    got = await roadmap(session, tenant, client_id, today, from_year=wanted[0][0], to_year=wanted[-1][0], currency=None)
    currency, sums = got.currency, {"one_time": 0, "recurring_annual": 0, "total": 0}
    quarters = []
    for year in got.years:
        for q in year.quarters:
            if (year.fiscal_year, q.quarter) not in wanted:
                continue
            figures = {"one_time": q.one_time, "recurring_annual": q.recurring_annual, "total": q.total}
            for key, value in figures.items():
                sums[key] += money.parse(value, currency)
            quarters.append(
                {
                    "fiscal_year": year.fiscal_year,
                    "quarter": q.quarter,
                    "start_date": q.start_date.isoformat(),
                    "end_date": q.end_date.isoformat(),
                    "initiatives": [initiative_view(i) for i in q.initiatives],
                    **figures,
                }
            )
    places = money.digits(currency)
    return {
        "currency": currency,
        "quarters": quarters,
        **{key: money.format_digits(value, places) for key, value in sums.items()},
    }


async def take(
    session: AsyncSession, tenant: str, client_id: uuid.UUID, kind: str, p: Period, today: dt.date
) -> dict[str, Any]:
    """The snapshot of one component of this kind."""
    if kind == "score_trend":
        return await score_trend(session, tenant, client_id, p)
    if kind == "findings":
        return await findings(session, tenant, client_id, p)
    if kind == "roadmap":
        return await roadmap_ahead(session, tenant, client_id, p, today)
    if kind == "activities":
        return await ledger.activities(session, tenant, client_id, p.start, p.end)
    if kind == "invoices":
        return await ledger.money_of_quarter(session, tenant, client_id, p.start, p.end)
    return {}
