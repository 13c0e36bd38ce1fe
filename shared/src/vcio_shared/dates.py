"""Calendar helpers shared by the services: pure functions, no clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from dateutil.relativedelta import relativedelta


def term_end(start: dt.date, term_months: int) -> dt.date:
    """The exclusive end of a term, the first day after it: the term is the half-open interval [start, end).

    A start on a day the end month lacks (a 31st, 29 February) ends on that month's last day."""
    return start + relativedelta(months=term_months)


def term_last_day(start: dt.date, term_months: int) -> dt.date:
    """The last day inside a term (the day before `term_end`)."""
    return term_end(start, term_months) - dt.timedelta(days=1)


def local_date(now: dt.datetime, timezone: str) -> dt.date:
    """The calendar date at instant `now` in an IANA time zone (a client's or tenant's "today")."""
    return now.astimezone(zoneinfo.ZoneInfo(timezone)).date()
