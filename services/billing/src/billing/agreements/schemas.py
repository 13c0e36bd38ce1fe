"""Agreement requests and answers (money as decimal strings beside `currency`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from billing.dates import Day
from vcio_shared.schemas import RequestModel, ResponseModel


class PackageRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID | None = None
    version: int | None = Field(default=None, ge=1, le=1_000_000)
    name: str = Field(min_length=1, max_length=200)
    tier: str | None = Field(default=None, max_length=100)


class AgreementOut(ResponseModel):
    id: uuid.UUID
    proposal_id: uuid.UUID
    client_id: uuid.UUID
    status: str
    start_date: dt.date
    end_date: dt.date
    term_start: dt.date
    term_months: int
    term_number: int
    billing_cycle: str
    monthly_amount: str
    one_time_amount: str
    currency: str
    auto_renew: bool
    package: dict[str, Any]
    price_schedule: list[dict[str, Any]]
    cancel_effective_date: dt.date | None
    next_bill_date: dt.date | None
    activities: list[dict[str, Any]]
    created_at: dt.datetime
    updated_at: dt.datetime


class CancelRequest(RequestModel):
    effective_date: Day
    reason: str | None = Field(default=None, max_length=1000)


class ChangeRequest(RequestModel):
    """A mid-term change of price and/or package, effective on a date."""

    effective_date: Day
    monthly_amount: str = Field(max_length=40)
    package: PackageRef | None = None
    activities: list[dict[str, Any]] | None = Field(default=None, max_length=500)


class AgreementUpdate(RequestModel):
    auto_renew: bool


class CancelResult(ResponseModel):
    agreement: AgreementOut
    credit_notes: list[dict[str, Any]]


class ChangeResult(ResponseModel):
    agreement: AgreementOut
    adjustments: list[dict[str, Any]]
    settled_by: dict[str, Any] | None
