"""Delivery answers and the replay request (CONTRACT.md §6)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from vcio_shared.schemas import DateTime, RequestModel, ResponseModel

Status = Literal["pending", "delivered", "failed"]


class AttemptOut(ResponseModel):
    at: dt.datetime
    status_code: int | None
    duration_ms: int
    error: str | None


class DeliveryOut(ResponseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: str
    event_type: str
    status: Status
    attempts: list[AttemptOut]
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime


class ReplayRequest(RequestModel):
    since: DateTime


class ReplayOut(ResponseModel):
    """How many of the endpoint's events since `since` were queued again."""

    endpoint_id: uuid.UUID
    since: dt.datetime
    queued: int
