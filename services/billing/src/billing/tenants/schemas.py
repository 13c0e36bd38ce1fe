from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, field_validator

from vcio_shared.schemas import RequestModel, ResponseModel, TimeZone


class TenantSettingsOut(ResponseModel):
    tenant_id: str
    timezone: str
    auto_run_enabled: bool
    auto_run_hour: int
    draft_review: bool
    renewal_notice_days: int
    payment_reminder_days: list[int]
    last_auto_run_on: dt.date | None


class TenantSettingsUpdate(RequestModel):
    timezone: TimeZone | None = None
    auto_run_enabled: bool | None = None
    auto_run_hour: int | None = Field(default=None, ge=0, le=23)
    draft_review: bool | None = None
    renewal_notice_days: int | None = Field(default=None, ge=0, le=365)
    # days after the due date on which an unpaid invoice's reminder is mailed; [] sends none
    payment_reminder_days: list[Annotated[int, Field(ge=1, le=365)]] | None = Field(default=None, max_length=10)

    @field_validator("payment_reminder_days")
    @classmethod
    def _days(cls, v: list[int] | None) -> list[int] | None:
        return None if v is None else sorted(set(v))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(v)
        except Exception as exc:
            raise ValueError("unknown IANA time zone") from exc
        return v
