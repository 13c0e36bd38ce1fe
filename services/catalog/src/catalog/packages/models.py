"""Catalog tables: one row per package version, and that version's activity templates."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from catalog.db import Base
from vcio_shared.ids import uuid7

STATUSES = ("draft", "published", "retired")


class Package(Base, table=True):
    """One version of a package. (id, version) is the key: a published version's content never changes."""

    __tablename__ = "packages"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
        sa.CheckConstraint("term_months BETWEEN 1 AND 60", name="term_months"),
        sa.CheckConstraint("monthly_price >= 0 AND onboarding_fee >= 0", name="amounts"),
        # lists: one row per package (latest version), filtered by status, tier, currency; ordered by id
        sa.Index("ix_packages_tenant_id_id_version", "tenant_id", "id", "version"),
        sa.Index("ix_packages_tenant_status", "tenant_id", "status", "id"),
        sa.Index("ix_packages_tenant_tier", "tenant_id", "tier", "id"),
        sa.Index("ix_packages_tenant_currency", "tenant_id", "currency", "id"),
        # the starter catalog loads each of its packages once per tenant
        sa.Index(
            "uq_packages_tenant_starter_key",
            "tenant_id",
            "starter_key",
            unique=True,
            postgresql_where=sa.text("starter_key IS NOT NULL AND version = 1"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    version: int = Field(default=1, primary_key=True)
    tenant_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    tier: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    currency: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    monthly_price: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))  # minor units
    onboarding_fee: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))  # minor units
    billing_cycle: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    term_months: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    # {role: "48.00"}: computed when the version is written, frozen with it on publish
    effort_hours_per_year: dict[str, Any] = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    # the term the effort figures were counted on (a term starting on the 1st of the month after the edit)
    schedule_basis_start: dt.date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    starter_key: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    published_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    retired_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


class ActivityTemplate(Base, table=True):
    """A recurring activity a package version promises: what, by whom, how often, how long."""

    __tablename__ = "activity_templates"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["package_id", "package_version"],
            ["packages.id", "packages.version"],
            name="fk_activity_templates_package",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("package_id", "package_version", "position", name="uq_activity_templates_package_position"),
        sa.Index("ix_activity_templates_tenant_category", "tenant_id", "category", "package_id", "package_version"),
        sa.CheckConstraint("effort_hours > 0", name="effort_hours"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    package_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    package_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    category: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    track: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    billing_mode: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    cadence: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    role: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    effort_hours: Decimal = Field(sa_column=sa.Column(sa.Numeric(8, 2), nullable=False))
    deliverable: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    occurrences_in_term: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


packages_t: sa.Table = Package.__table__  # type: ignore[attr-defined]
activities_t: sa.Table = ActivityTemplate.__table__  # type: ignore[attr-defined]
