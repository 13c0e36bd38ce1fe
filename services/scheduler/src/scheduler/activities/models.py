"""Activities: one per cadence occurrence of an agreement's activity template, and their history."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from scheduler.db import Base, text_field

STATUSES = ("planned", "scheduled", "completed", "skipped", "cancelled")
OPEN_STATUSES = ("planned", "scheduled")


_LISTED_BY = (("client", "client_id"), ("agreement", "agreement_id"), ("status", "status"), ("assignee", "assignee_id"))


class Activity(Base, table=True):
    """One delivery. `occurrence_date` is the RRULE's date (the plan's key), `planned_date` the business day it
    moved to, `due_date` the date it is due now (moved by scheduling)."""

    __tablename__ = "activities"
    __table_args__ = (
        # A redelivered or replayed plan can never double an occurrence.
        sa.UniqueConstraint("agreement_id", "template_key", "occurrence_date"),
        sa.CheckConstraint("status IN ('planned','scheduled','completed','skipped','cancelled')", name="status"),
        sa.Index("ix_activities_tenant_id_id", "tenant_id", "id"),
        # the lists by client, agreement, status or assignee, in due-date order
        *(sa.Index(f"ix_activities_tenant_{name}_due", "tenant_id", column, "due_date") for name, column in _LISTED_BY),
        # the overdue sweep only looks at open, never-flagged activities
        sa.Index(
            "ix_activities_overdue_sweep",
            "due_date",
            postgresql_where=sa.text("overdue_at IS NULL AND status IN ('planned','scheduled')"),
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = text_field()
    agreement_id: uuid.UUID
    client_id: uuid.UUID
    template_key: str = text_field()
    name: str = text_field()
    category: str = text_field()
    track: str = text_field()
    billing_mode: str = text_field()
    cadence: str = text_field()
    role: str = text_field()
    effort_hours: Decimal = Field(sa_column=sa.Column(sa.Numeric(8, 2), nullable=False))
    deliverable: str | None = text_field(nullable=True)
    occurrence_date: dt.date
    planned_date: dt.date
    due_date: dt.date
    scheduled_time: dt.time | None = None
    status: str = text_field()
    assignee_id: uuid.UUID | None = None
    completed_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    outcome: str | None = text_field(nullable=True)
    hours_spent: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(8, 2)))
    deliverable_links: list[Any] = Field(
        default_factory=list,
        sa_column=sa.Column(pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    skip_reason: str | None = text_field(nullable=True)
    cancel_reason: str | None = text_field(nullable=True)
    overdue_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class ActivityChange(Base, table=True):
    """What happened to an activity, and why: reschedules keep their reason here."""

    __tablename__ = "activity_changes"
    __table_args__ = (sa.Index("ix_activity_changes_activity", "tenant_id", "activity_id", "id"),)

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = text_field()
    activity_id: uuid.UUID
    action: str = text_field()
    actor: str = text_field()
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    from_time: dt.time | None = None
    to_time: dt.time | None = None
    reason: str | None = text_field(nullable=True)
    at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
