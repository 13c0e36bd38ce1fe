"""Report and report-template requests and answers (CONTRACT.md section 7), and the published event."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import Field

from vcio_shared.schemas import RequestModel, ResponseModel

# The components a report can hold; `notes` is the only one whose text is written by hand (PATCH).
Kind = Literal["score_trend", "findings", "roadmap", "activities", "invoices", "notes"]
QuarterText = Annotated[str, Field(pattern=r"^[0-9]{4}-Q[1-4]$", examples=["2027-Q1"])]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=20_000)]


class ComponentSpec(RequestModel):
    kind: Kind
    title: Title
    text: Text = ""  # a notes component's text (other kinds have none)


class SectionSpec(RequestModel):
    title: Title
    components: Annotated[list[ComponentSpec], Field(min_length=1, max_length=20)]


class ReportTemplateCreate(RequestModel):
    name: Title
    sections: Annotated[list[SectionSpec], Field(min_length=1, max_length=20)]


class ReportTemplateRequest(RequestModel):
    """Save a report's layout (and its notes' text) as a new template."""

    name: Title


class ComponentSpecOut(ResponseModel):
    kind: Kind
    title: str
    text: str


class SectionSpecOut(ResponseModel):
    title: str
    components: list[ComponentSpecOut]


class ReportTemplateOut(ResponseModel):
    id: uuid.UUID
    name: str
    default: bool  # the platform's default template, which no tenant edits
    sections: list[SectionSpecOut]
    created_at: dt.datetime | None


class ReportCreate(RequestModel):
    client_id: uuid.UUID
    quarter: QuarterText  # a quarter of the client's fiscal year ("2027-Q1": fiscal year 2027's first)
    template_id: uuid.UUID | None = None  # the default template when absent
    activity_id: uuid.UUID | None = None  # the scheduler's QBR activity it serves
    title: Title | None = None


class ComponentUpdate(RequestModel):
    text: Text


class ComponentOut(ResponseModel):
    id: uuid.UUID
    kind: Kind
    title: str
    text: str
    data: dict[str, Any]  # the snapshot (its shape per kind: README)
    taken_at: dt.datetime  # when the snapshot was taken (or the notes last written)


class SectionOut(ResponseModel):
    title: str
    components: list[ComponentOut]


class ReportOut(ResponseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str | None
    quarter: str
    fiscal_year: int
    period_start: dt.date
    period_end: dt.date  # exclusive
    title: str
    template_id: uuid.UUID
    activity_id: uuid.UUID | None
    status: Literal["draft", "published"]  # published while it has a live share link
    sections: list[SectionOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None


class ReportPublished(ResponseModel):
    """`vcio.strategy.report.published`: the report was shared with its client."""

    report_id: uuid.UUID
    client_id: uuid.UUID
    quarter: str
    title: str
    activity_id: uuid.UUID | None
    url: str
    published_at: dt.datetime
