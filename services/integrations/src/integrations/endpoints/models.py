"""A tenant's webhook endpoints, with their secrets encrypted at rest (VCIO_SECRETS_KEY)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from integrations.db import Base


def _text(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.Text, nullable=nullable))


def _at(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=nullable))


class WebhookEndpoint(Base, table=True):
    """Where one tenant wants its events. `previous_secret` still signs until `previous_until` (a rotation);
    `failing_since` is the first failed attempt of the current run of failures (5 days of it disable)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (sa.Index("ix_webhook_endpoints_tenant_id_id", "tenant_id", "id"),)

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = _text()
    url: str = _text()
    description: str | None = _text(nullable=True)
    event_types: list[str] = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    client_id: uuid.UUID | None = None
    enabled: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    secret: str = _text()
    previous_secret: str | None = _text(nullable=True)
    previous_until: dt.datetime | None = _at(nullable=True)
    failing_since: dt.datetime | None = _at(nullable=True)
    disabled_reason: str | None = _text(nullable=True)
    created_at: dt.datetime = _at()
    updated_at: dt.datetime = _at()
