"""Standards: one row per version, its sections and their questions. A published version never changes."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field

from strategy.db import Base


class Standard(Base, table=True):
    """One version of a standard. `tenant_id` NULL: the starter standard, which every tenant reads."""

    __tablename__ = "standards"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
        sa.Index("ix_standards_tenant_id_id_version", "tenant_id", "id", "version"),
    )

    id: uuid.UUID = Field(primary_key=True)
    version: int = Field(default=1, primary_key=True)
    tenant_id: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    status: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    published_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


class Question(Base, table=True):
    """A question of a standard version, in its section (`section_position`, `section_name`) and position."""

    __tablename__ = "questions"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["standard_id", "standard_version"],
            ["standards.id", "standards.version"],
            name="fk_questions_standard",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "standard_id", "standard_version", "section_position", "position", name="uq_questions_standard_place"
        ),
        sa.CheckConstraint("priority IN ('high', 'medium', 'low')", name="priority"),
    )

    id: uuid.UUID = Field(primary_key=True)
    standard_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    standard_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    section_position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    section_name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    why: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    how_to: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    priority: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    internal_only: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))


standards_t: sa.Table = Standard.__table__  # type: ignore[attr-defined]
questions_t: sa.Table = Question.__table__  # type: ignore[attr-defined]
