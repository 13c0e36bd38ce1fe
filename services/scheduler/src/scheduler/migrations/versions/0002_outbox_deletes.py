"""outbox: the relay deletes what it published, so the partial index on unpublished rows goes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows the relay of 0001 marked published instead of deleting: they are in the stream already.
    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")
    op.drop_index("ix_outbox_unpublished", table_name="outbox", postgresql_where=sa.text("published_at IS NULL"))


def downgrade() -> None:
    op.create_index("ix_outbox_unpublished", "outbox", ["seq"], postgresql_where=sa.text("published_at IS NULL"))
