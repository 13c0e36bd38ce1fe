"""Exact dates from RRULE cadences (pure expansion, then the weekend/holiday move)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.plans.cadence import CadenceError, business_day, occurrence_dates

D = dt.date


def due_dates(
    cadence: str, start: D, end: D, tz: str = "UTC", country: str | None = None, month_end: str = "skip"
) -> list[D]:
    return [business_day(d, country) for d in occurrence_dates(cadence, start, start, end, tz, month_end)]


def test_monthly_on_the_31st_skips_shorter_months_as_rfc_5545_says() -> None:
    assert occurrence_dates("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 1, 31), D(2028, 1, 31)) == (
        D(2027, 1, 31),
        D(2027, 3, 31),
        D(2027, 5, 31),
        D(2027, 7, 31),
        D(2027, 8, 31),
        D(2027, 10, 31),
        D(2027, 12, 31),
    )


def test_monthly_on_the_31st_with_last_day_falls_on_the_end_of_shorter_months() -> None:
    assert occurrence_dates("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 1, 31), D(2028, 1, 31), "UTC", "last_day") == (
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


def test_monthly_on_the_31st_moves_weekend_month_ends_to_monday() -> None:
    # 31 January and 28 February 2027 are a Sunday and a Sunday
    assert due_dates("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 7, 1)) == [D(2027, 2, 1), D(2027, 3, 31), D(2027, 5, 31)]
    assert due_dates("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 7, 1), month_end="last_day") == [
        D(2027, 2, 1),
        D(2027, 3, 1),
        D(2027, 3, 31),
        D(2027, 4, 30),
        D(2027, 5, 31),
        D(2027, 6, 30),
    ]


def test_explicit_bymonthday_31_is_expanded_exactly_as_written() -> None:
    for month_end in ("skip", "last_day"):
        assert occurrence_dates(
            "FREQ=MONTHLY;BYMONTHDAY=31", D(2027, 1, 1), D(2027, 1, 1), D(2027, 7, 1), "UTC", month_end
        ) == (D(2027, 1, 31), D(2027, 3, 31), D(2027, 5, 31))


def test_quarterly_from_30_november_skips_february() -> None:
    assert occurrence_dates("FREQ=MONTHLY;INTERVAL=3", D(2026, 11, 30), D(2026, 11, 30), D(2027, 11, 30)) == (
        D(2026, 11, 30),
        D(2027, 5, 30),
        D(2027, 8, 30),
    )
    # 30 May 2027 is a Sunday
    assert due_dates("FREQ=MONTHLY;INTERVAL=3", D(2026, 11, 30), D(2027, 11, 30)) == [
        D(2026, 11, 30),
        D(2027, 5, 31),
        D(2027, 8, 30),
    ]


def test_quarterly_from_30_november_with_last_day_keeps_four_quarters() -> None:
    assert occurrence_dates(
        "FREQ=MONTHLY;INTERVAL=3", D(2026, 11, 30), D(2026, 11, 30), D(2027, 11, 30), "UTC", "last_day"
    ) == (D(2026, 11, 30), D(2027, 2, 28), D(2027, 5, 30), D(2027, 8, 30))
    assert due_dates("FREQ=MONTHLY;INTERVAL=3", D(2026, 11, 30), D(2027, 11, 30), month_end="last_day") == [
        D(2026, 11, 30),
        D(2027, 3, 1),
        D(2027, 5, 31),
        D(2027, 8, 30),
    ]


def test_quarterly_from_30_november_with_last_day_in_a_leap_year_uses_29_february() -> None:
    assert occurrence_dates(
        "FREQ=MONTHLY;INTERVAL=3", D(2027, 11, 30), D(2027, 11, 30), D(2028, 11, 30), "UTC", "last_day"
    ) == (D(2027, 11, 30), D(2028, 2, 29), D(2028, 5, 30), D(2028, 8, 30))


def test_annual_from_29_february_happens_in_leap_years_only() -> None:
    assert occurrence_dates("FREQ=YEARLY", D(2028, 2, 29), D(2028, 2, 29), D(2033, 2, 28)) == (
        D(2028, 2, 29),
        D(2032, 2, 29),
    )


def test_annual_from_29_february_with_last_day_falls_on_28_february_in_common_years() -> None:
    assert occurrence_dates("FREQ=YEARLY", D(2028, 2, 29), D(2028, 2, 29), D(2033, 2, 28), "UTC", "last_day") == (
        D(2028, 2, 29),
        D(2029, 2, 28),
        D(2030, 2, 28),
        D(2031, 2, 28),
        D(2032, 2, 29),
    )
    # 28 February 2031 is a Friday; 2029 and 2030 are a Wednesday and a Thursday
    assert due_dates("FREQ=YEARLY", D(2028, 2, 29), D(2031, 3, 1), month_end="last_day") == [
        D(2028, 2, 29),
        D(2029, 2, 28),
        D(2030, 2, 28),
        D(2031, 2, 28),
    ]


def test_weekly_every_other_tuesday() -> None:
    assert occurrence_dates("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", D(2027, 1, 5), D(2027, 1, 5), D(2027, 3, 5)) == (
        D(2027, 1, 5),
        D(2027, 1, 19),
        D(2027, 2, 2),
        D(2027, 2, 16),
        D(2027, 3, 2),
    )


def test_weekly_every_other_tuesday_from_a_friday_starts_in_the_second_week() -> None:
    # RFC 5545: the first week is the one containing DTSTART (its Tuesday is before it), so the next is two later
    assert occurrence_dates("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", D(2027, 1, 1), D(2027, 1, 1), D(2027, 2, 10)) == (
        D(2027, 1, 12),
        D(2027, 1, 26),
        D(2027, 2, 9),
    )


def test_a_start_on_a_saturday_is_due_the_next_monday() -> None:
    # 2027-01-02 is a Saturday
    assert due_dates("FREQ=MONTHLY", D(2027, 1, 2), D(2027, 5, 1)) == [
        D(2027, 1, 4),
        D(2027, 2, 2),
        D(2027, 3, 2),
        D(2027, 4, 2),
    ]
    assert due_dates("FREQ=WEEKLY", D(2027, 1, 2), D(2027, 1, 17)) == [D(2027, 1, 4), D(2027, 1, 11), D(2027, 1, 18)]


def test_a_sunday_occurrence_is_due_the_next_monday() -> None:
    assert business_day(D(2027, 1, 3)) == D(2027, 1, 4)


def test_client_time_zone_across_dst_change_keeps_local_dates() -> None:
    # Sydney leaves daylight saving on 2027-04-04: local midnight is 13:00 UTC before and 14:00 UTC after. An
    # expansion done in UTC would drift to Sundays; a local one stays on Mondays.
    dates = occurrence_dates("FREQ=WEEKLY", D(2027, 3, 22), D(2027, 3, 22), D(2027, 4, 20), "Australia/Sydney")
    assert dates == (D(2027, 3, 22), D(2027, 3, 29), D(2027, 4, 5), D(2027, 4, 12), D(2027, 4, 19))
    assert all(d.weekday() == 0 for d in dates)


def test_client_time_zone_across_us_spring_forward() -> None:
    # New York springs forward on 2027-03-14
    dates = occurrence_dates("FREQ=WEEKLY;BYDAY=MO", D(2027, 3, 1), D(2027, 3, 1), D(2027, 3, 30), "America/New_York")
    assert dates == (D(2027, 3, 1), D(2027, 3, 8), D(2027, 3, 15), D(2027, 3, 22), D(2027, 3, 29))


def test_us_holiday_calendar_moves_new_year_to_the_next_business_day() -> None:
    # 2027-01-01 is a Friday (New Year's Day); 2027-12-25 is a Saturday, observed on Friday 24th in the US
    assert business_day(D(2027, 1, 1), "US") == D(2027, 1, 4)
    assert business_day(D(2027, 12, 24), "US") == D(2027, 12, 27)


def test_window_is_half_open() -> None:
    assert occurrence_dates("FREQ=MONTHLY", D(2027, 1, 4), D(2027, 1, 4), D(2027, 4, 4)) == (
        D(2027, 1, 4),
        D(2027, 2, 4),
        D(2027, 3, 4),
    )


@pytest.mark.parametrize(
    "cadence", ["FREQ=HOURLY", "FREQ=SECONDLY", "BOGUS", "FREQ=FORTNIGHTLY", "DTSTART=20270101;FREQ=DAILY"]
)
def test_unusable_cadences_are_refused(cadence: str) -> None:
    with pytest.raises(CadenceError):
        occurrence_dates(cadence, D(2027, 1, 1), D(2027, 1, 1), D(2028, 1, 1))


def test_a_rule_that_never_matches_expands_to_nothing() -> None:
    # without the search bound this daily rule would be searched day by day until the year 9999
    assert occurrence_dates("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", D(2027, 1, 1), D(2027, 1, 1), D(2030, 1, 1)) == ()
    assert occurrence_dates("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", D(2027, 1, 1), D(2027, 1, 1), D(2030, 1, 1)) == ()


def test_a_count_limited_rule_stops_at_its_count() -> None:
    assert occurrence_dates("FREQ=MONTHLY;COUNT=2", D(2027, 1, 4), D(2027, 1, 4), D(2028, 1, 4)) == (
        D(2027, 1, 4),
        D(2027, 2, 4),
    )


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)),
    cadence=st.sampled_from(
        [
            "FREQ=MONTHLY",
            "FREQ=MONTHLY;INTERVAL=3",
            "FREQ=YEARLY",
            "FREQ=WEEKLY",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            "FREQ=MONTHLY;BYDAY=1MO",
        ]
    ),
    tz=st.sampled_from(["UTC", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham"]),
    month_end=st.sampled_from(["skip", "last_day"]),
)
def test_every_due_date_is_a_business_day_inside_a_one_year_term(
    start: D, cadence: str, tz: str, month_end: str
) -> None:
    end = start + dt.timedelta(days=365)
    occurrences = occurrence_dates(cadence, start, start, end, tz, month_end)
    assert list(occurrences) == sorted(set(occurrences))
    assert all(start <= d < end for d in occurrences)
    due = [business_day(d) for d in occurrences]
    assert all(d.weekday() < 5 and 0 <= (d - o).days <= 2 for d, o in zip(due, occurrences, strict=True))
    expected = {"FREQ=MONTHLY": 12, "FREQ=MONTHLY;INTERVAL=3": 4, "FREQ=YEARLY": 1}
    if cadence in expected:
        assert occurrences[0] == start  # the DTSTART itself is the first occurrence
        if month_end == "last_day" or start.day <= 28:
            assert len(occurrences) == expected[cadence]
        else:
            assert 1 <= len(occurrences) <= expected[cadence]
