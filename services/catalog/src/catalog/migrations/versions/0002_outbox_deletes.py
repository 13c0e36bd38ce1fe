"""outbox: the relay deletes what it published, so the partial index on unpublished rows goes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:45:00
"""

from vcio_shared.migrations import outbox_deletes_published_downgrade, outbox_deletes_published_upgrade

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    outbox_deletes_published_upgrade()


def downgrade() -> None:
    outbox_deletes_published_downgrade()
