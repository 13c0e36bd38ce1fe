"""The billing events the scheduler consumes (docs/events.md), and the plan's public shape."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vcio_shared.schemas import ResponseModel

Text = Annotated[str, Field(min_length=1, max_length=500)]


class _Event(BaseModel):
    # Events grow additively: unknown fields are ignored, not refused.
    model_config = ConfigDict(extra="ignore")


class ActivityTemplate(_Event):
    name: Text
    category: Text
    track: Text = "business"
    billing_mode: Text = "included"
    cadence: Annotated[str, Field(min_length=1, max_length=500)]
    role: Text
    effort_hours: Decimal = Decimal("0")
    deliverable: str | None = None

    @field_validator("effort_hours")
    @classmethod
    def _effort(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or v < 0 or v > Decimal("999999.99"):
            raise ValueError("effort_hours must be between 0 and 999999.99")
        return v.quantize(Decimal("0.01"))


class ClientRef(_Event):
    id: uuid.UUID
    name: str = ""
    email: str | None = None
    timezone: str = "UTC"


class PackageRef(_Event):
    id: uuid.UUID | None = None
    version: int | None = None
    name: str | None = None


class AgreementActivated(_Event):
    id: uuid.UUID | None = None
    agreement_id: uuid.UUID | None = None
    client: ClientRef
    package: PackageRef | None = None
    start_date: dt.date
    end_date: dt.date
    activities: list[ActivityTemplate] = Field(max_length=500)

    @property
    def the_agreement_id(self) -> uuid.UUID:
        found = self.agreement_id or self.id
        if found is None:
            raise ValueError("agreement.activated has neither agreement_id nor id")
        return found


class AgreementChanged(_Event):
    agreement_id: uuid.UUID
    client_id: uuid.UUID | None = None
    effective_date: dt.date
    package: PackageRef | None = None
    activities: list[ActivityTemplate] = Field(max_length=500)


class AgreementRenewed(_Event):
    agreement_id: uuid.UUID
    client_id: uuid.UUID | None = None
    start_date: dt.date
    end_date: dt.date
    client: ClientRef | None = None
    activities: list[ActivityTemplate] | None = Field(default=None, max_length=500)


class AgreementCancelled(_Event):
    agreement_id: uuid.UUID
    client_id: uuid.UUID | None = None
    effective_date: dt.date


class PlanOut(ResponseModel):
    agreement_id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    timezone: str
    package_id: uuid.UUID | None
    package_version: int | None
    package_name: str | None
    status: str
    start_date: dt.date
    term_start: dt.date
    end_date: dt.date
    cancelled_from: dt.date | None
    activities: int
    by_status: dict[str, int]
