"""share links of roadmaps and reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 14:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('roadmap', 'report')", name=op.f("ck_shares_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
    )
    op.create_index("uq_shares_token_sha256", "shares", ["token_sha256"], unique=True)
    op.create_index(
        "uq_shares_active_target",
        "shares",
        ["tenant_id", "kind", "target_id"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_shares_active_target", table_name="shares")
    op.drop_index("uq_shares_token_sha256", table_name="shares")
    op.drop_table("shares")
