"""The bounded-search trick for dateutil must not leak into the rest of the process (the catalog shares it in
the test suite, and counts on calendars shifted by 400-year cycles)."""

import datetime as dt

import dateutil.rrule

from scheduler.plans.cadence import occurrence_dates


def test_a_never_matching_rule_is_cut_short_and_dateutil_is_left_as_it_was() -> None:
    dates = occurrence_dates(
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", dt.date(2027, 1, 1), dt.date(2027, 1, 1), dt.date(2028, 1, 1)
    )
    assert dates == ()
    assert dateutil.rrule.datetime is dt  # type: ignore[attr-defined]
    far = dateutil.rrule.rrule(dateutil.rrule.YEARLY, dtstart=dt.datetime(2399, 3, 1), count=3)
    assert [d.year for d in far] == [2399, 2400, 2401]
