"""The roadmap as its client sees it (the share link's page and PDF): titles, places and money, nothing internal
(no owner, no finding ids, no audit times)."""

from __future__ import annotations

from typing import Any

from strategy.initiatives.schemas import InitiativeOut, RoadmapOut


def initiative_view(i: InitiativeOut) -> dict[str, Any]:
    return {
        "title": i.title,
        "summary": i.summary,
        "category": i.category,
        "priority": i.priority,
        "status": i.status,
        "one_time": i.budget.one_time_total,
        "recurring_annual": i.budget.recurring_annual,
        "total": i.budget.total,
    }


def present(roadmap: RoadmapOut, client_name: str | None) -> dict[str, Any]:
    return {
        "client_name": client_name or "your organisation",
        "currency": roadmap.currency,
        "fiscal_year_start_month": roadmap.fiscal_year_start_month,
        "unscheduled": [initiative_view(i) for i in roadmap.unscheduled],
        "years": [
            {
                "fiscal_year": y.fiscal_year,
                "start_date": y.start_date,
                "end_date": y.end_date,
                "quarters": [
                    {
                        "quarter": q.quarter,
                        "start_date": q.start_date,
                        "end_date": q.end_date,
                        "initiatives": [initiative_view(i) for i in q.initiatives],
                        "one_time": q.one_time,
                        "recurring_annual": q.recurring_annual,
                        "total": q.total,
                    }
                    for q in y.quarters
                ],
                "unscheduled": [initiative_view(i) for i in y.unscheduled],
                "one_time": y.one_time,
                "recurring_annual": y.recurring_annual,
                "total": y.total,
            }
            for y in roadmap.years
        ],
    }
