"""vcio_shared.cadence: the checker, counter and expansion (pure functions; no servers needed)."""

import datetime as dt
import time

import dateutil.rrule
import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from vcio_shared import cadence, vocabulary
from vcio_shared.cadence import CadenceError, dates, occurrences, parse, schedule_basis

D = dt.date

TODAY = dt.date(2027, 1, 4)
START = dt.date(2027, 2, 1)


def _plain_count(rule: str, start: dt.date, term_months: int) -> int:
    """dateutil on the real dates, for comparison (safe only for rules known to match)."""
    end = dt.datetime.combine(start + relativedelta(months=term_months), dt.time())
    return sum(
        1
        for _ in rrulestr(rule, dtstart=dt.datetime.combine(start, dt.time())).between(
            dt.datetime.combine(start, dt.time()), end - dt.timedelta(seconds=1), inc=True
        )
    )


@pytest.mark.parametrize(
    ("rule", "count"),
    [
        ("FREQ=YEARLY", 1),
        ("FREQ=MONTHLY;INTERVAL=3", 4),
        ("FREQ=MONTHLY", 12),
        ("FREQ=WEEKLY", 53),
        ("FREQ=MONTHLY;BYMONTHDAY=31", 7),
        ("FREQ=MONTHLY;COUNT=3", 3),
        ("FREQ=MONTHLY;BYDAY=1MO", 12),
        ("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=FR", 12),
        ("FREQ=YEARLY;INTERVAL=2", 1),
    ],
)
def test_occurrences_in_a_12_month_term(rule: str, count: int) -> None:
    assert occurrences(parse(rule, TODAY), START, 12) == count


def test_until_inside_the_term_stops_the_count() -> None:
    assert occurrences(parse("FREQ=MONTHLY;UNTIL=20270601", TODAY), START, 12) == 5


def test_a_rule_that_never_matches_counts_zero_quickly() -> None:
    began = time.perf_counter()
    assert occurrences(parse("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", TODAY), START, 60) == 0
    assert time.perf_counter() - began < 2.0


def test_interval_zero_is_refused_rather_than_looping_forever() -> None:
    with pytest.raises(CadenceError, match="INTERVAL"):
        parse("FREQ=MONTHLY;INTERVAL=0", TODAY)


def test_schedule_basis_is_the_first_of_next_month() -> None:
    assert schedule_basis(dt.date(2027, 12, 31)) == dt.date(2028, 1, 1)
    assert schedule_basis(dt.date(2027, 1, 1)) == dt.date(2027, 2, 1)


RULES = st.sampled_from(
    [
        "FREQ=YEARLY",
        "FREQ=MONTHLY",
        "FREQ=MONTHLY;INTERVAL=3",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYMONTHDAY=29",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
        "FREQ=YEARLY;BYYEARDAY=366",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1",
        "FREQ=WEEKLY;BYMONTH=2,3",
    ]
)


@settings(max_examples=150, deadline=None)
@given(rule=RULES, start=st.dates(dt.date(2000, 1, 1), dt.date(2199, 12, 1)), term=st.integers(1, 60))
def test_counting_on_the_shifted_calendar_equals_counting_on_the_real_one(rule: str, start: dt.date, term: int) -> None:
    # the Gregorian calendar repeats every 400 years, so moving the term by whole cycles changes nothing
    assert occurrences(parse(rule, dt.date(2000, 1, 1)), start, term) == _plain_count(rule, start, term)


def test_expand_gives_exact_dates_inside_the_half_open_window() -> None:
    assert cadence.expand("FREQ=MONTHLY;INTERVAL=3", dt.date(2027, 1, 31), dt.date(2028, 1, 31)) == (
        dt.date(2027, 1, 31),
        dt.date(2027, 7, 31),  # no 31 April: RFC 5545 skips it
        dt.date(2027, 10, 31),
    )
    assert cadence.expand("FREQ=WEEKLY;BYDAY=MO", dt.date(2027, 3, 1), dt.date(2027, 3, 15)) == (
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 8),
    )
    assert cadence.count("FREQ=MONTHLY", dt.date(2027, 2, 1), dt.date(2028, 2, 1)) == 12
    assert cadence.count("FREQ=YEARLY", dt.date(2027, 2, 1), dt.date(2027, 2, 1)) == 0


def test_expand_counts_what_parse_and_occurrences_count() -> None:
    rule = parse("FREQ=MONTHLY;BYDAY=1MO", TODAY)
    end = START + relativedelta(months=12)
    assert cadence.count(rule.rule, START, end) == occurrences(rule, START, 12) == 12


def test_is_valid_and_next_weekday() -> None:
    assert cadence.is_valid("FREQ=MONTHLY")
    assert not cadence.is_valid("DTSTART:20270101\nRRULE:FREQ=MONTHLY")
    assert not cadence.is_valid("FREQ=NEVER")
    assert cadence.next_weekday(dt.date(2027, 3, 6)) == dt.date(2027, 3, 8)  # Saturday
    assert cadence.next_weekday(dt.date(2027, 3, 7)) == dt.date(2027, 3, 8)  # Sunday
    assert cadence.next_weekday(dt.date(2027, 3, 8)) == dt.date(2027, 3, 8)


def test_vocabulary() -> None:
    assert vocabulary.CATEGORIES[0] == "it_strategy" and len(vocabulary.CATEGORIES) == 9
    assert vocabulary.ROLES == ("vcio", "account_manager", "technical_account_manager", "engineer")
    assert vocabulary.BILLING_CYCLES == ("monthly", "quarterly", "annual")


# dates: the expansion the scheduler plans with (and expand/count, what a proposal prices)


def test_monthly_on_the_31st_skips_shorter_months_as_rfc_5545_says() -> None:
    assert dates("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 1, 31), D(2028, 1, 31)) == (
        D(2027, 1, 31),
        D(2027, 3, 31),
        D(2027, 5, 31),
        D(2027, 7, 31),
        D(2027, 8, 31),
        D(2027, 10, 31),
        D(2027, 12, 31),
    )


def test_monthly_on_the_31st_with_last_day_falls_on_the_end_of_shorter_months() -> None:
    assert dates("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 1, 31), D(2028, 1, 31), "last_day") == (
        D(2027, 1, 31),
        D(2027, 2, 28),
        D(2027, 3, 31),
        D(2027, 4, 30),
        D(2027, 5, 31),
        D(2027, 6, 30),
        D(2027, 7, 31),
        D(2027, 8, 31),
        D(2027, 9, 30),
        D(2027, 10, 31),
        D(2027, 11, 30),
        D(2027, 12, 31),
    )


def test_explicit_bymonthday_31_is_expanded_exactly_as_written() -> None:
    for month_end in ("skip", "last_day"):
        assert dates("FREQ=MONTHLY;BYMONTHDAY=31", D(2027, 1, 1), D(2027, 1, 1), D(2027, 7, 1), month_end) == (
            D(2027, 1, 31),
            D(2027, 3, 31),
            D(2027, 5, 31),
        )


def test_quarterly_from_30_november_with_last_day_in_a_leap_year_uses_29_february() -> None:
    assert dates("FREQ=MONTHLY;INTERVAL=3", D(2027, 11, 30), D(2027, 11, 30), D(2028, 11, 30), "last_day") == (
        D(2027, 11, 30),
        D(2028, 2, 29),
        D(2028, 5, 30),
        D(2028, 8, 30),
    )


def test_annual_from_29_february_happens_in_leap_years_only() -> None:
    assert dates("FREQ=YEARLY", D(2028, 2, 29), D(2028, 2, 29), D(2033, 2, 28)) == (
        D(2028, 2, 29),
        D(2032, 2, 29),
    )


def test_weekly_every_other_tuesday() -> None:
    assert dates("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", D(2027, 1, 5), D(2027, 1, 5), D(2027, 3, 5)) == (
        D(2027, 1, 5),
        D(2027, 1, 19),
        D(2027, 2, 2),
        D(2027, 2, 16),
        D(2027, 3, 2),
    )


def test_weekly_every_other_tuesday_from_a_friday_starts_in_the_second_week() -> None:
    # RFC 5545: the first week is the one containing DTSTART (its Tuesday is before it), so the next is two later
    assert dates("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", D(2027, 1, 1), D(2027, 1, 1), D(2027, 2, 10)) == (
        D(2027, 1, 12),
        D(2027, 1, 26),
        D(2027, 2, 9),
    )


def test_dates_across_a_dst_change_stay_on_their_weekday() -> None:
    # Sydney leaves daylight saving on 2027-04-04: calendar dates take no time zone, so none can drift to a Sunday
    days = dates("FREQ=WEEKLY", D(2027, 3, 22), D(2027, 3, 22), D(2027, 4, 20))
    assert days == (D(2027, 3, 22), D(2027, 3, 29), D(2027, 4, 5), D(2027, 4, 12), D(2027, 4, 19))
    assert all(d.weekday() == 0 for d in days)


def test_dates_across_the_us_spring_forward() -> None:
    # New York springs forward on 2027-03-14
    days = dates("FREQ=WEEKLY;BYDAY=MO", D(2027, 3, 1), D(2027, 3, 1), D(2027, 3, 30))
    assert days == (D(2027, 3, 1), D(2027, 3, 8), D(2027, 3, 15), D(2027, 3, 22), D(2027, 3, 29))


def test_window_is_half_open() -> None:
    assert dates("FREQ=MONTHLY", D(2027, 1, 4), D(2027, 1, 4), D(2027, 4, 4)) == (
        D(2027, 1, 4),
        D(2027, 2, 4),
        D(2027, 3, 4),
    )


@pytest.mark.parametrize(
    "cadence", ["FREQ=HOURLY", "FREQ=SECONDLY", "BOGUS", "FREQ=FORTNIGHTLY", "DTSTART=20270101;FREQ=DAILY"]
)
def test_unusable_cadences_are_refused(cadence: str) -> None:
    with pytest.raises(CadenceError):
        dates(cadence, D(2027, 1, 1), D(2027, 1, 1), D(2028, 1, 1))


def test_a_rule_that_never_matches_expands_to_nothing() -> None:
    # without the search bound this daily rule would be searched day by day until the year 9999
    assert dates("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", D(2027, 1, 1), D(2027, 1, 1), D(2030, 1, 1)) == ()
    assert dates("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", D(2027, 1, 1), D(2027, 1, 1), D(2030, 1, 1)) == ()


def test_a_count_limited_rule_stops_at_its_count() -> None:
    assert dates("FREQ=MONTHLY;COUNT=2", D(2027, 1, 4), D(2027, 1, 4), D(2028, 1, 4)) == (
        D(2027, 1, 4),
        D(2027, 2, 4),
    )


def test_the_search_bound_does_not_leak_into_dateutil() -> None:
    # __wrapped__: a fresh expansion, not the cached answer of an earlier test
    never = dates.__wrapped__("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", D(2027, 1, 1), D(2027, 1, 1), D(2028, 1, 1))
    assert never == ()
    assert dateutil.rrule.datetime is dt  # type: ignore[attr-defined]
    far = dateutil.rrule.rrule(dateutil.rrule.YEARLY, dtstart=dt.datetime(2399, 3, 1), count=3)
    assert [d.year for d in far] == [2399, 2400, 2401]


@pytest.mark.parametrize("until", ["20270401", "20270401T000000", "20270401T000000Z", "20270401T235959Z"])
def test_until_is_a_date_whose_day_is_included_whatever_its_form(until: str) -> None:
    # the form `parse` accepts in all four spellings; a proposal and the scheduler read each the same way
    assert dates(f"FREQ=MONTHLY;UNTIL={until}", D(2027, 1, 1), D(2027, 1, 1), D(2028, 1, 1)) == (
        D(2027, 1, 1),
        D(2027, 2, 1),
        D(2027, 3, 1),
        D(2027, 4, 1),
    )
    assert cadence.count(f"FREQ=MONTHLY;UNTIL={until}", D(2027, 1, 1), D(2028, 1, 1)) == 4
    assert occurrences(parse(f"FREQ=MONTHLY;UNTIL={until}", D(2027, 1, 1)), D(2027, 1, 1), 12) == 4


def test_a_window_after_the_start_keeps_the_starts_rhythm() -> None:
    # a change or renewal plans from a later day, with the agreement's start as DTSTART
    assert dates("FREQ=MONTHLY;INTERVAL=3", D(2027, 1, 15), D(2027, 5, 1), D(2028, 1, 1)) == (
        D(2027, 7, 15),
        D(2027, 10, 15),
    )


def test_is_valid_is_the_expansions_verdict() -> None:
    assert cadence.is_valid("FREQ=DAILY")
    assert cadence.is_valid("RRULE:freq=monthly;interval=2")
    assert not cadence.is_valid("FREQ=HOURLY")
    assert not cadence.is_valid("INTERVAL=2")
