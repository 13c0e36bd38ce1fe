"""outbox: a row may hold a batch of events (event_ids; their JSON one per line in payload)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:40:00
"""

from vcio_shared.migrations import outbox_batches_downgrade, outbox_batches_upgrade

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    outbox_batches_upgrade()


def downgrade() -> None:
    outbox_batches_downgrade()
