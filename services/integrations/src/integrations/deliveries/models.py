"""Deliveries: one event to one endpoint. The event's bytes are kept exactly as they came off NATS."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from integrations.db import Base


class WebhookDelivery(Base, table=True):
    """One event for one endpoint (unique: a redelivered, retried or replayed event is this row again, under the
    same webhook-id). `attempts` is the log [{at, status_code, duration_ms, error}]; `tries` the attempts since
    it was last queued (the retry schedule counts these); `lease_until` is how long the replica that claimed it
    may keep it before another one takes it over."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id"),
        sa.CheckConstraint("status IN ('pending','delivered','failed')", name="status"),
        sa.Index("ix_webhook_deliveries_tenant_endpoint_id", "tenant_id", "endpoint_id", "id"),
        sa.Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")),
    )

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    endpoint_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    )
    event_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    event_type: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    payload: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    status: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    attempts: list[dict[str, Any]] = Field(
        sa_column=sa.Column(pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))
    )
    tries: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0")))
    next_attempt_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    lease_until: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
