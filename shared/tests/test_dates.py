import datetime as dt

from vcio_shared.dates import local_date, term_end, term_last_day


def test_term_end_is_the_first_day_after_the_term() -> None:
    assert term_end(dt.date(2026, 1, 1), 12) == dt.date(2027, 1, 1)
    assert term_end(dt.date(2026, 3, 15), 1) == dt.date(2026, 4, 15)


def test_a_start_on_a_day_the_end_month_lacks_ends_on_its_last_day() -> None:
    assert term_end(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert term_end(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)


def test_term_last_day_is_the_day_before_the_end() -> None:
    assert term_last_day(dt.date(2026, 1, 1), 12) == dt.date(2026, 12, 31)


def test_local_date_is_the_date_in_that_time_zone() -> None:
    now = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    assert local_date(now, "UTC") == dt.date(2026, 3, 1)
    assert local_date(now, "Europe/Berlin") == dt.date(2026, 3, 2)
    assert local_date(now, "America/New_York") == dt.date(2026, 3, 1)
