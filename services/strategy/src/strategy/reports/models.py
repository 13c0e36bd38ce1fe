"""QBR reports (ordered sections of components, each with a snapshot of its data) and report templates."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from strategy.db import Base


class Report(Base, table=True):
    """A client's report for one quarter of its fiscal year. `sections` is [{title, components: [{id, kind, title,
    text, data, taken_at}]}]: each component's data is a snapshot, kept until the report is refreshed."""

    __tablename__ = "reports"
    __table_args__ = (
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter"),
        sa.Index("ix_reports_tenant_client", "tenant_id", "client_id", "fiscal_year", "quarter"),
    )

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    fiscal_year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    quarter: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    title: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    template_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    activity_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid))
    sections: list[dict[str, Any]] = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    published_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


class ReportTemplate(Base, table=True):
    """A tenant's report layout: [{title, components: [{kind, title, text}]}]. The default one lives in code."""

    __tablename__ = "report_templates"
    __table_args__ = (sa.Index("ix_report_templates_tenant", "tenant_id"),)

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    sections: list[dict[str, Any]] = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


reports_t: sa.Table = Report.__table__  # type: ignore[attr-defined]
report_templates_t: sa.Table = ReportTemplate.__table__  # type: ignore[attr-defined]
