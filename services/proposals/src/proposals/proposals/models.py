"""Proposal table: one row per version; a sent version never changes (revise makes a new row)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from proposals.db import Base
from vcio_shared.ids import uuid7

OPEN_STATUSES = ("sent", "viewed")


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=nullable))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=sa.Column(pg.JSONB, nullable=False))


class Proposal(Base, table=True):
    __tablename__ = "proposals"
    __table_args__ = (
        sa.Index("ix_proposals_tenant_id_id", "tenant_id", "id"),
        sa.Index("ix_proposals_tenant_id_client_id_id", "tenant_id", "client_id", "id"),
        sa.Index("ix_proposals_tenant_id_status_id", "tenant_id", "status", "id"),
        sa.Index("ix_proposals_tenant_id_package_id_id", "tenant_id", "package_id", "id"),
        sa.Index(
            "ix_proposals_open_valid_until", "valid_until", postgresql_where=sa.text("status IN ('sent', 'viewed')")
        ),
        sa.UniqueConstraint("token", name="uq_proposals_token"),
        sa.UniqueConstraint("supersedes_id", name="uq_proposals_supersedes_id"),  # one successor per version
        sa.CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount_range"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str
    client_id: uuid.UUID = Field(foreign_key="clients.id")
    version: int = 1
    supersedes_id: uuid.UUID | None = None
    superseded_by_id: uuid.UUID | None = None
    status: str = "draft"
    package_id: uuid.UUID
    package_version: int
    package: dict[str, Any] = _json(dict)
    client_snapshot: dict[str, Any] = _json(dict)
    msp_name: str
    # The MSP's standard terms as they stood when this version was sent (frozen: later profile edits leave it).
    msp_terms: str | None = None
    currency: str
    start_date: dt.date
    term_months: int
    billing_cycle: str
    auto_renew: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.true()))
    discount_percent: Decimal = Field(sa_column=sa.Column(sa.Numeric(5, 2), nullable=False))
    discount_reason: str | None = None
    valid_until: dt.date | None = None
    lines: list[dict[str, Any]] = _json(list)
    schedule_summary: list[dict[str, Any]] = _json(list)
    selected_options: list[str] = _json(list)
    monthly_total_minor: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    one_time_total_minor: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    contract_value_minor: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    token: str | None = None
    created_at: dt.datetime = _ts(False)
    updated_at: dt.datetime = _ts(False)
    sent_at: dt.datetime | None = _ts()
    viewed_at: dt.datetime | None = _ts()
    accepted_at: dt.datetime | None = _ts()
    declined_at: dt.datetime | None = _ts()
    expired_at: dt.datetime | None = _ts()
    superseded_at: dt.datetime | None = _ts()
    decline_reason: str | None = None
    signer_name: str | None = None
    signer_email: str | None = None
    signer_ip: str | None = None
    signer_user_agent: str | None = None
    acceptance_channel: str | None = None
    accepted_by: str | None = None
    document_sha256: str | None = None
    accepted_document: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))
