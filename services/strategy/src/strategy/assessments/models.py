"""Assessments of a client against one standard version, and their answers. A completed one is frozen."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from strategy.db import Base


class Assessment(Base, table=True):
    """`score` and `section_scores` are written once, at completion; until then they are computed on read."""

    __tablename__ = "assessments"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["standard_id", "standard_version"], ["standards.id", "standards.version"], name="fk_assessments_standard"
        ),
        sa.CheckConstraint("status IN ('open', 'completed')", name="status"),
        sa.Index("ix_assessments_tenant_client", "tenant_id", "client_id", "completed_at"),
    )

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    standard_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    standard_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    engineer_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid))
    vcio_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid))
    due_date: dt.date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    activity_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid))
    status: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    score: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(4, 1)))
    section_scores: list[Any] | None = Field(default=None, sa_column=sa.Column(pg.JSONB))
    completed_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    completed_by: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class Response(Base, table=True):
    """One question's answer in an assessment; its id is the finding's id when it is not aligned."""

    __tablename__ = "responses"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name="fk_responses_assessment", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], name="fk_responses_question"),
        sa.UniqueConstraint("assessment_id", "question_id", name="uq_responses_assessment_question"),
        sa.CheckConstraint("answer IN ('yes', 'no', 'na')", name="answer"),
        sa.CheckConstraint("rating IN ('aligned', 'marginal', 'vulnerable', 'na')", name="rating"),
    )

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    assessment_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    question_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    answer: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    rating: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    notes: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    updated_by: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


assessments_t: sa.Table = Assessment.__table__  # type: ignore[attr-defined]
responses_t: sa.Table = Response.__table__  # type: ignore[attr-defined]
