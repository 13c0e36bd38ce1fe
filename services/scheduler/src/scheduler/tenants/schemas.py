"""Tenant settings requests and answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from vcio_shared.schemas import RequestModel, ResponseModel


class SettingsUpdate(RequestModel):
    holiday_country: Annotated[str, Field(min_length=2, max_length=3)] | None = None
    holiday_subdivision: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    month_end: Literal["skip", "last_day"] = "skip"


class SettingsOut(ResponseModel):
    holiday_country: str | None
    holiday_subdivision: str | None
    month_end: str
    updated_at: dt.datetime | None
