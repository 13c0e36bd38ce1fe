"""outbox: the relay deletes what it published, so the partial index on unpublished rows goes;
invoices: ix_invoices_tenant_id_agreement_id goes too (uq_invoices_agreement_period_kind leads with the
agreement and serves the same lookups), one index less to write per invoice in a billing run

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:45:00
"""

from alembic import op

from vcio_shared.migrations import outbox_deletes_published_downgrade, outbox_deletes_published_upgrade

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    outbox_deletes_published_upgrade()
    op.drop_index("ix_invoices_tenant_id_agreement_id", table_name="invoices")


def downgrade() -> None:
    op.create_index("ix_invoices_tenant_id_agreement_id", "invoices", ["tenant_id", "agreement_id", "id"])
    outbox_deletes_published_downgrade()
