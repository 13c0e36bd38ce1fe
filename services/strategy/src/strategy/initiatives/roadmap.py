"""The roadmap: a client's initiatives by fiscal year and quarter, with budget sums (CONTRACT.md section 7).

A fiscal year is named for the calendar year it ends in: with fiscal years starting in July, fiscal year 2027
runs from 2026-07-01 to 2027-06-30 and its first quarter is July to September 2026 (with January, the calendar
year). An initiative counts in the quarter and year it is placed in: its one-time lines and its recurring lines
annualised (monthly × 12, yearly × 1, × quantity). One without a quarter is unscheduled within its year, and
counts in that year's sums; one without a year is unscheduled on the roadmap and in no sum. Declined initiatives
are not on the roadmap. Sums are in the roadmap's currency; initiatives budgeted in another are left out of it
(`other_currencies` names them)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.clients import repository as clients
from strategy.initiatives import budget, repository, service
from strategy.initiatives.schemas import InitiativeOut, QuarterOut, RoadmapOut, YearOut
from strategy.tenants import service as tenants
from vcio_shared import money
from vcio_shared.errors import NotFound, Unprocessable

DEFAULT_CURRENCY = "USD"
MAX_YEARS = 10


def _month(year: int, month: int, add: int) -> dt.date:
    index = year * 12 + month - 1 + add
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_year_start(fiscal_year: int, start_month: int) -> dt.date:
    return dt.date(fiscal_year, 1, 1) if start_month == 1 else dt.date(fiscal_year - 1, start_month, 1)


def fiscal_year_of(day: dt.date, start_month: int) -> int:
    return day.year + 1 if start_month > 1 and day.month >= start_month else day.year


def _sums(initiatives: list[InitiativeOut], lines: dict[uuid.UUID, budget.Totals]) -> budget.Totals:
    return sum((lines[i.id] for i in initiatives), budget.Totals())


def _year(
    year: int,
    start_month: int,
    mine: list[InitiativeOut],
    sums: dict[uuid.UUID, budget.Totals],
    fmt: Callable[[int], str],
) -> YearOut:
    start = fiscal_year_start(year, start_month)
    quarters = []
    for q in range(1, 5):
        placed = [i for i in mine if i.quarter == q]
        total = _sums(placed, sums)
        quarters.append(
            QuarterOut(
                quarter=q,
                start_date=_month(start.year, start.month, 3 * (q - 1)),
                end_date=_month(start.year, start.month, 3 * q),
                initiatives=placed,
                one_time=fmt(total.one_time),
                recurring_annual=fmt(total.recurring_annual),
                total=fmt(total.total),
            )
        )
    total = _sums(mine, sums)
    return YearOut(
        fiscal_year=year,
        start_date=start,
        end_date=_month(start.year, start.month, 12),
        quarters=quarters,
        unscheduled=[i for i in mine if i.quarter is None],
        one_time=fmt(total.one_time),
        recurring_annual=fmt(total.recurring_annual),
        total=fmt(total.total),
    )


async def roadmap(
    session: AsyncSession,
    tenant_id: str,
    client_id: uuid.UUID,
    today: dt.date,
    *,
    from_year: int | None,
    to_year: int | None,
    currency: str | None,
) -> RoadmapOut:
    client = await clients.get(session, tenant_id, client_id)
    if client is None:
        raise NotFound("no such client")
    start_month = await tenants.fiscal_year_start_month(session, tenant_id)
    first = from_year if from_year is not None else fiscal_year_of(today, start_month)
    last = to_year if to_year is not None else first + 2
    if last < first:
        raise Unprocessable.field(["query", "to_year"], "must not be before from_year")
    if last - first >= MAX_YEARS:
        raise Unprocessable.field(["query", "to_year"], f"a roadmap spans at most {MAX_YEARS} fiscal years")
    rows = await repository.of_client(session, tenant_id, client_id)
    currency = currency or client["currency"] or (rows[0]["currency"] if rows else DEFAULT_CURRENCY)
    kept = [r for r in rows if r["currency"] == currency]
    lines = await repository.lines_of(session, [r["id"] for r in kept])
    sums = {r["id"]: budget.totals(lines[r["id"]]) for r in kept}
    initiatives = [service.to_out(r, lines[r["id"]]) for r in kept]
    places = money.digits(currency)

    def fmt(minor: int) -> str:
        return money.format_digits(minor, places)

    years = [
        _year(y, start_month, [i for i in initiatives if i.fiscal_year == y], sums, fmt) for y in range(first, last + 1)
    ]
    return RoadmapOut(
        client_id=client_id,
        currency=currency,
        fiscal_year_start_month=start_month,
        unscheduled=[i for i in initiatives if i.fiscal_year is None],
        years=years,
        other_currencies=sorted({r["currency"] for r in rows} - {currency}),
    )
