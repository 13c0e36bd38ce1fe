"""msp profile: legal name, address, tax id, payment instructions, terms; proposals: auto_renew, msp_terms

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PROFILE_TEXT = ("legal_name", "address", "tax_id", "payment_instructions", "terms")


def upgrade() -> None:
    for column in PROFILE_TEXT:
        op.add_column("msp_profiles", sa.Column(column, sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_check_constraint(op.f("ck_msp_profiles_terms_length"), "msp_profiles", "char_length(terms) <= 20000")
    # Versions made before this revision renew as billing has always defaulted (auto_renew true).
    op.add_column("proposals", sa.Column("auto_renew", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("proposals", sa.Column("msp_terms", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    op.drop_column("proposals", "msp_terms")
    op.drop_column("proposals", "auto_renew")
    op.drop_constraint(op.f("ck_msp_profiles_terms_length"), "msp_profiles", type_="check")
    for column in PROFILE_TEXT:
        op.drop_column("msp_profiles", column)
