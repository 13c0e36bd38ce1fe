"""Standard request and response models (CONTRACT.md section 7)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from vcio_shared.schemas import RequestModel, ResponseModel

Priority = Literal["high", "medium", "low"]
Status = Literal["draft", "published", "retired"]
WEIGHTS = {"high": 5, "medium": 3, "low": 1}
MAX_QUESTIONS = 1000

Name = Annotated[str, Field(min_length=1, max_length=200)]
QuestionText = Annotated[str, Field(min_length=1, max_length=1000)]
LongText = Annotated[str, Field(max_length=5000)]


class QuestionCreate(RequestModel):
    text: QuestionText
    why: LongText | None = None
    how_to: LongText | None = None
    priority: Priority
    internal_only: StrictBool = False


class SectionCreate(RequestModel):
    name: Name
    questions: Annotated[list[QuestionCreate], Field(min_length=1, max_length=MAX_QUESTIONS)]


class StandardCreate(RequestModel):
    """A whole standard version: what POST /v1/standards and PUT /v1/standards/{id} take."""

    name: Name
    description: LongText | None = None
    sections: Annotated[list[SectionCreate], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _bounded(self) -> StandardCreate:
        if sum(len(s.questions) for s in self.sections) > MAX_QUESTIONS:
            raise ValueError(f"a standard holds at most {MAX_QUESTIONS} questions")
        return self


class QuestionOut(ResponseModel):
    id: uuid.UUID
    text: str
    why: str | None
    how_to: str | None
    priority: Priority
    weight: int
    internal_only: bool


class SectionOut(ResponseModel):
    name: str
    questions: list[QuestionOut]


class StandardOut(ResponseModel):
    id: uuid.UUID
    version: int
    status: Status
    name: str
    description: str | None
    starter: bool  # the platform's starter standard, which every tenant reads and none edits
    question_count: int
    sections: list[SectionOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None


class StandardPublished(ResponseModel):
    """`vcio.strategy.standard.published`: the version's identity and size."""

    standard_id: uuid.UUID
    version: int
    name: str
    question_count: int
