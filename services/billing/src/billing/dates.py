"""Dates the API accepts: real calendar dates in a sane range (so no arithmetic overflows into a 5xx)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator


def _in_range(value: dt.date) -> dt.date:
    if not dt.date(1970, 1, 1) <= value <= dt.date(2999, 12, 31):
        raise ValueError("must be between 1970-01-01 and 2999-12-31")
    return value


Day = Annotated[dt.date, AfterValidator(_in_range)]
