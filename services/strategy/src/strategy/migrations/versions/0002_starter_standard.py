"""the starter standard, version 1, for every tenant

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 14:00:00
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from strategy.standards import starter

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VERSION = 1
WRITTEN = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)


def upgrade() -> None:
    standard, questions = starter.rows(VERSION, WRITTEN)
    meta = sa.MetaData()
    standards = sa.Table("standards", meta, autoload_with=op.get_bind())
    question_table = sa.Table("questions", meta, autoload_with=op.get_bind())
    op.bulk_insert(standards, [standard])
    op.bulk_insert(question_table, questions)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM standards WHERE id = :id AND version = :v").bindparams(id=starter.STARTER_ID, v=VERSION))
