"""Activities the scheduler reports completed: strategy's own copy, for the QBR's delivered work."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from strategy.db import Base


class DeliveredActivity(Base, table=True):
    """One completed activity, from `vcio.scheduler.activity.completed` (keyed by tenant and the activity's id)."""

    __tablename__ = "delivered_activities"
    __table_args__ = (sa.Index("ix_delivered_activities_client", "tenant_id", "client_id", "completed_at"),)

    tenant_id: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, primary_key=True))
    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    category: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    role: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    due_date: dt.date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    completed_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    outcome: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    hours_spent: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(10, 2)))


delivered_t: sa.Table = DeliveredActivity.__table__  # type: ignore[attr-defined]
