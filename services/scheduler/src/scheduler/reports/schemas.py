"""The delivery report: what the vCIO brings to the QBR."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from scheduler.activities.schemas import HoursText, Links
from vcio_shared.schemas import ResponseModel


class RoleHoursOut(ResponseModel):
    role: str
    planned_hours: str
    delivered_hours: str


class CategoryCountOut(ResponseModel):
    category: str
    planned: int
    delivered: int


class OutcomeOut(ResponseModel):
    activity_id: uuid.UUID
    name: str
    category: str
    role: str
    due_date: dt.date
    completed_on: dt.date
    on_time: bool
    hours_spent: HoursText
    outcome: str
    deliverable_links: Links


class DeliveryReportOut(ResponseModel):
    client_id: uuid.UUID
    client_name: str
    period_from: dt.date = Field(serialization_alias="from")
    period_to: dt.date = Field(serialization_alias="to")
    planned: int
    delivered: int
    skipped: int
    cancelled: int
    outstanding: int
    overdue: int
    on_time: int
    delivery_rate_percent: str | None
    on_time_rate_percent: str | None
    hours_by_role: list[RoleHoursOut]
    by_category: list[CategoryCountOut]
    outcomes: list[OutcomeOut]
    skipped_reasons: list[dict[str, str]]
