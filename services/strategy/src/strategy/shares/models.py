"""Share links: an unguessable token that shows one client's roadmap, or one report, without a login."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field

from strategy.db import Base

KINDS = ("roadmap", "report")


class Share(Base, table=True):
    """One link. Only the token's SHA-256 is kept; revoking sets `revoked_at`, and a revoked link shows nothing."""

    __tablename__ = "shares"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.Index("uq_shares_token_sha256", "token_sha256", unique=True),
        sa.Index(
            "uq_shares_active_target",
            "tenant_id",
            "kind",
            "target_id",
            unique=True,
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    target_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))  # the client (roadmap) or the report
    token_sha256: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


shares_t: sa.Table = Share.__table__  # type: ignore[attr-defined]
