"""the mail outbox (vcio_shared.mail), per-tenant payment reminder days

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 11:20:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from vcio_shared.mail import mail_table_downgrade, mail_table_upgrade

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    mail_table_upgrade()
    op.add_column(
        "tenant_settings",
        sa.Column("payment_reminder_days", pg.ARRAY(sa.Integer()), server_default=sa.text("'{7,14}'"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("tenant_settings", "payment_reminder_days")
    mail_table_downgrade()
