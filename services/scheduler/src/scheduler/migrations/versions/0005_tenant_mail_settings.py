"""tenant_settings: the tenant's time zone (when its weekly digest goes) and the address staff mail replies to

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 11:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tenant_settings", sa.Column("timezone", sa.Text, nullable=False, server_default=sa.text("'UTC'")))
    op.add_column("tenant_settings", sa.Column("mail_reply_to", sa.Text))


def downgrade() -> None:
    op.drop_column("tenant_settings", "mail_reply_to")
    op.drop_column("tenant_settings", "timezone")
