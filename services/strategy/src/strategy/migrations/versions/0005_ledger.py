"""strategy's copies of completed activities, invoices and agreements (from scheduler's and billing's events)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 15:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivered_activities",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("hours_spent", sa.Numeric(10, 2), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_delivered_activities")),
    )
    op.create_index(
        "ix_delivered_activities_client", "delivered_activities", ["tenant_id", "client_id", "completed_at"]
    )
    op.create_table(
        "client_invoices",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("amount_due", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_client_invoices")),
    )
    op.create_index("ix_client_invoices_client", "client_invoices", ["tenant_id", "client_id", "issue_date"])
    op.create_table(
        "client_agreements",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("monthly_amount", sa.BigInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("cancelled_from", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_client_agreements")),
    )


def downgrade() -> None:
    op.drop_table("client_agreements")
    op.drop_index("ix_client_invoices_client", table_name="client_invoices")
    op.drop_table("client_invoices")
    op.drop_index("ix_delivered_activities_client", table_name="delivered_activities")
    op.drop_table("delivered_activities")
