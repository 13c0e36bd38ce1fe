"""Billing runs: what each run did, for the API, the CLI's progress bar and operators."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from billing.agreements.models import col
from billing.db import TenantRow


class BillingRun(TenantRow, table=True):
    __tablename__ = "billing_runs"
    as_of: dt.date = col(sa.Date)
    status: str = col(sa.Text)  # running | completed | failed
    trigger: str = col(sa.Text)  # api | schedule
    agreements_total: int = col(sa.Integer, server_default="0")
    agreements_processed: int = col(sa.Integer, server_default="0")
    invoices_created: int = col(sa.Integer, server_default="0")
    totals: dict[str, Any] = col(pg.JSONB, server_default=sa.text("'{}'::jsonb"))  # currency -> minor units
    errors: list[dict[str, Any]] = col(pg.JSONB, server_default=sa.text("'[]'::jsonb"))
    created_by: str = col(sa.Text)
    started_at: dt.datetime = col(sa.DateTime(timezone=True))
    heartbeat_at: dt.datetime = col(sa.DateTime(timezone=True))
    finished_at: dt.datetime | None = col(sa.DateTime(timezone=True), nullable=True)
    duration_ms: int | None = col(sa.Integer, nullable=True)

    __table_args__ = (
        sa.Index("ix_billing_runs_tenant_id_id", "tenant_id", "id"),
        sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name="status"),
    )
