"""The bounds on the work a package plans, checked on every cadence of a draft before it is stored or published."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from dateutil.relativedelta import relativedelta

from catalog.packages.schemas import PackageCreate
from vcio_shared import cadence as cadences
from vcio_shared.clock import Clock
from vcio_shared.errors import Unprocessable

# Bounds on the work a package plans, per year of its term (counted, not read off the pattern: see
# vcio_shared.cadence.per_year). An activity recurs at most weekly (53 fit in a year); a package plans at most 600
# a year across its activities, about a dozen weekly ones: without them, 50 daily-equivalent activities would plan
# 91,300 activities per client.
MAX_PER_ACTIVITY_YEAR = 53
MAX_PER_PACKAGE_YEAR = 600


@functools.lru_cache(maxsize=4096)
def _count(text: str, today: dt.date, basis: dt.date, term_months: int) -> tuple[str, tuple[int, ...]] | str:
    """(normalised rule, occurrences in each year of the term), or the reason the cadence is refused."""
    try:
        parsed = cadences.parse(text, today)
        return parsed.rule, tuple(cadences.per_year(parsed, basis, term_months))
    except cadences.CadenceError as exc:
        return f"cadence {exc}"


def _year_label(basis: dt.date, year: int) -> str:
    start = basis + relativedelta(years=year)
    return f"the year from {start.isoformat()}"


def _check_sync(
    body: PackageCreate, today: dt.date, prefix: Sequence[str | int] = ("body",)
) -> tuple[dt.date, list[dict[str, Any]]]:
    basis = cadences.schedule_basis(today)
    errors: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    package_years: list[int] = []
    for i, activity in enumerate(body.activities):
        loc = [*prefix, "activities", i, "cadence"]
        counted = _count(activity.cadence, today, basis, body.term_months)
        if isinstance(counted, str):
            errors.append({"loc": loc, "msg": counted})
            continue
        rule, years = counted
        count = sum(years)
        if count == 0:
            errors.append(
                {
                    "loc": loc,
                    "msg": f"cadence {rule} yields no occurrence in a {body.term_months}-"
                    f"month term starting {basis.isoformat()}",
                }
            )
            continue
        busiest = max(range(len(years)), key=lambda y: years[y])
        if years[busiest] > MAX_PER_ACTIVITY_YEAR:
            errors.append(
                {
                    "loc": loc,
                    "msg": f"activity {activity.name!r}: cadence {rule} happens {years[busiest]} times in "
                    f"{_year_label(basis, busiest)}; an activity recurs at most weekly "
                    f"({MAX_PER_ACTIVITY_YEAR} times a year)",
                }
            )
            continue
        package_years = [a + b for a, b in zip(package_years or [0] * len(years), years, strict=True)]
        activities.append({**activity.model_dump(), "cadence": rule, "occurrences_in_term": count})
    if package_years and max(package_years) > MAX_PER_PACKAGE_YEAR:
        busiest = max(range(len(package_years)), key=lambda y: package_years[y])
        errors.append(
            {
                "loc": [*prefix, "activities"],
                "msg": f"the activities happen {package_years[busiest]} times in {_year_label(basis, busiest)}; "
                f"a package plans at most {MAX_PER_PACKAGE_YEAR} a year",
            }
        )
    if errors:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)[:500]
        raise Unprocessable(detail, errors=errors)
    return basis, activities


async def check(
    body: PackageCreate, clock: Clock, prefix: Sequence[str | int] = ("body",)
) -> tuple[dt.date, list[dict[str, Any]]]:
    """The checks types cannot make: each cadence is a valid RRULE, happens at least once in the term and within
    the bounds above.

    A rule that never matches costs a scan of a few centuries (see vcio_shared.cadence), so the check runs off the
    event loop, and each distinct rule is counted once.
    """
    return await asyncio.to_thread(_check_sync, body, clock.today(), prefix)
