"""Initiatives on a client's roadmap, and their budget lines (money in minor units of the initiative's currency)."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from strategy.db import Base

STATUSES = ("proposed", "approved", "in_progress", "done", "deferred", "declined")


class Initiative(Base, table=True):
    """A piece of work for a client, placed in a quarter of the client's fiscal year (or unscheduled)."""

    __tablename__ = "initiatives"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint("priority IN ('high', 'medium', 'low')", name="priority"),
        sa.CheckConstraint("quarter IS NULL OR (quarter BETWEEN 1 AND 4 AND fiscal_year IS NOT NULL)", name="quarter"),
        sa.Index("ix_initiatives_tenant_client", "tenant_id", "client_id", "fiscal_year"),
    )

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    title: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    summary: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    category: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    priority: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    fiscal_year: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    quarter: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    owner_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid))
    finding_ids: list[uuid.UUID] = Field(sa_column=sa.Column(pg.ARRAY(sa.Uuid), nullable=False))
    currency: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    approved_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


class BudgetLine(Base, table=True):
    """One line of an initiative's budget: one-time, or recurring monthly or yearly; amount × quantity."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["initiative_id"], ["initiatives.id"], name="fk_budget_lines_initiative", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("initiative_id", "position", name="uq_budget_lines_initiative_position"),
        sa.CheckConstraint("kind IN ('one_time', 'recurring')", name="kind"),
        sa.CheckConstraint(
            "(kind = 'one_time' AND frequency IS NULL) OR (kind = 'recurring' AND frequency IN ('monthly', 'yearly'))",
            name="frequency",
        ),
        sa.CheckConstraint("amount >= 0 AND quantity >= 1", name="amounts"),
    )

    id: uuid.UUID = Field(primary_key=True)
    initiative_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    label: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    amount: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))  # minor units, per unit
    quantity: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    frequency: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


initiatives_t: sa.Table = Initiative.__table__  # type: ignore[attr-defined]
budget_lines_t: sa.Table = BudgetLine.__table__  # type: ignore[attr-defined]
