"""Activities the scheduler reported completed: the value delivered shown on invoices."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from billing.agreements.models import col
from billing.db import TenantRow


class DeliveredActivity(TenantRow, table=True):
    __tablename__ = "delivered_activities"
    agreement_id: uuid.UUID = col(pg.UUID(as_uuid=True))
    client_id: uuid.UUID = col(pg.UUID(as_uuid=True))
    name: str = col(sa.Text)
    category: str = col(sa.Text, server_default="")
    track: str = col(sa.Text, server_default="")
    billing_mode: str = col(sa.Text, server_default="included")
    role: str = col(sa.Text, server_default="")
    due_date: dt.date | None = col(sa.Date, nullable=True)
    completed_at: dt.datetime = col(sa.DateTime(timezone=True))
    completed_on: dt.date = col(sa.Date)
    outcome: str = col(sa.Text, server_default="")
    hours_spent: str = col(sa.Text, server_default="0")  # decimal string, e.g. "2.50"

    __table_args__ = (sa.Index("ix_delivered_activities_client", "tenant_id", "client_id", "completed_on"),)
