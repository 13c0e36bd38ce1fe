"""Tenant settings requests and answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import holidays
from pydantic import Field, WithJsonSchema

from vcio_shared.schemas import Email, RequestModel, ResponseModel, TimeZone

# The countries python-holidays has a calendar for (the service checks the same list, and subdivisions).
_COUNTRIES = WithJsonSchema({"type": "string", "enum": sorted(holidays.list_supported_countries())})


class SettingsUpdate(RequestModel):
    holiday_country: Annotated[str, Field(min_length=2, max_length=3), _COUNTRIES] | None = None
    holiday_subdivision: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    month_end: Literal["skip", "last_day"] = "skip"
    timezone: TimeZone = "UTC"  # when the weekly digest goes out: Monday 07:00 here
    mail_reply_to: Email | None = None  # Reply-To and List-Unsubscribe of the mail to staff


class SettingsOut(ResponseModel):
    holiday_country: str | None
    holiday_subdivision: str | None
    month_end: str
    timezone: str
    mail_reply_to: str | None
    updated_at: dt.datetime | None
