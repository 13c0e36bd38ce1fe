"""The MSP's own profile: the name, contact, legal details and standard terms shown on proposals and invoices."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field

from proposals.db import Base

# The longest standard terms accepted (characters): a few pages of text; it is rendered on every proposal.
TERMS_MAX = 20_000


class MspProfileFields(Base):
    """What the profile says, as stored (MspProfile) and as answered (schemas.MspProfileOut), in that order."""

    name: str
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    legal_name: str | None = None
    address: str | None = None
    tax_id: str | None = None
    payment_instructions: str | None = None
    terms: str | None = None


class MspProfile(MspProfileFields, table=True):
    __tablename__ = "msp_profiles"
    __table_args__ = (sa.CheckConstraint(f"char_length(terms) <= {TERMS_MAX}", name="terms_length"),)

    tenant_id: str = Field(primary_key=True)
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
