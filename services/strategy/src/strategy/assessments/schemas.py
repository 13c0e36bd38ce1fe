"""Assessment request and response models (CONTRACT.md section 7)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import Field

from vcio_shared.schemas import Date, RequestModel, ResponseModel

Answer = Literal["yes", "no", "na"]
Rating = Literal["aligned", "marginal", "vulnerable", "na"]
Status = Literal["open", "completed"]


class AssessmentCreate(RequestModel):
    client_id: uuid.UUID
    standard_id: uuid.UUID
    standard_version: Annotated[int | None, Field(ge=1, le=1_000_000)] = None  # default: the latest published
    engineer_id: uuid.UUID | None = None
    vcio_id: uuid.UUID | None = None
    due_date: Date | None = None
    activity_id: uuid.UUID | None = None  # the scheduler activity it fulfils


class ResponseUpdate(RequestModel):
    """PUT /v1/assessments/{id}/responses/{question_id}: the engineer's answer, the vCIO's rating, notes."""

    answer: Answer
    rating: Rating | None = None
    notes: Annotated[str | None, Field(max_length=5000)] = None


class ResponseOut(ResponseModel):
    id: uuid.UUID
    question_id: uuid.UUID
    answer: Answer
    rating: Rating | None
    notes: str | None
    updated_by: str
    updated_at: dt.datetime


class SectionScoreOut(ResponseModel):
    name: str
    score: str | None  # one decimal ("72.5"); null while nothing in the section counts
    questions: int
    answered: int


class FindingOut(ResponseModel):
    """A non-aligned answer: its id is the response's, which initiatives name in `finding_ids`."""

    id: uuid.UUID
    question_id: uuid.UUID
    section: str
    text: str
    priority: str
    weight: int
    internal_only: bool
    answer: Answer
    rating: Rating | None
    notes: str | None


class AssessmentOut(ResponseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    standard_id: uuid.UUID
    standard_version: int
    standard_name: str
    engineer_id: uuid.UUID | None
    vcio_id: uuid.UUID | None
    due_date: dt.date | None
    activity_id: uuid.UUID | None
    status: Status
    score: str | None
    sections: list[SectionScoreOut]
    findings: list[FindingOut]
    question_count: int
    answered: int
    responses: list[ResponseOut]
    completed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class AssessmentSummaryOut(ResponseModel):
    """An assessment in a list: without its responses and findings."""

    id: uuid.UUID
    client_id: uuid.UUID
    standard_id: uuid.UUID
    standard_version: int
    status: Status
    score: str | None
    due_date: dt.date | None
    completed_at: dt.datetime | None
    created_at: dt.datetime


class TrendPointOut(ResponseModel):
    assessment_id: uuid.UUID
    standard_id: uuid.UUID
    standard_version: int
    completed_at: dt.datetime
    score: str | None
    change: str | None  # against the previous completed assessment ("+7.5", "-2.0"); null for the first
    sections: list[SectionScoreOut]


class TrendOut(ResponseModel):
    client_id: uuid.UUID
    items: list[TrendPointOut]


class AssessmentCompleted(ResponseModel):
    """`vcio.strategy.assessment.completed`."""

    assessment_id: uuid.UUID
    client_id: uuid.UUID
    standard_id: uuid.UUID
    standard_version: int
    activity_id: uuid.UUID | None
    score: str | None
    sections: list[SectionScoreOut]
    findings: int
    completed_at: dt.datetime
