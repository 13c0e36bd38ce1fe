"""Tenant settings requests and answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import holidays
from pydantic import Field, WithJsonSchema

from vcio_shared.schemas import RequestModel, ResponseModel

# The countries python-holidays has a calendar for (the service checks the same list, and subdivisions).
_COUNTRIES = WithJsonSchema({"type": "string", "enum": sorted(holidays.list_supported_countries())})


class SettingsUpdate(RequestModel):
    holiday_country: Annotated[str, Field(min_length=2, max_length=3), _COUNTRIES] | None = None
    holiday_subdivision: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    month_end: Literal["skip", "last_day"] = "skip"


class SettingsOut(ResponseModel):
    holiday_country: str | None
    holiday_subdivision: str | None
    month_end: str
    updated_at: dt.datetime | None
