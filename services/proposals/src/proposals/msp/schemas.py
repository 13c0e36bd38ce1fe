"""The MSP profile shown on proposals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import StringConstraints, field_validator

from proposals.clients.schemas import Email, Name
from proposals.msp.models import TERMS_MAX, MspProfileFields
from vcio_shared.schemas import SPACE_OR_CONTROL, RequestModel

# Free text, several lines allowed; trimmed, and blank counts as unset (the documents then leave it out).
LegalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
TaxId = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
PaymentInstructions = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Terms = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TERMS_MAX)]

Website = Annotated[str, StringConstraints(max_length=200, pattern=rf"^https?://[^{SPACE_OR_CONTROL}]+$")]


class MspProfileUpdate(RequestModel):
    """The whole profile (PUT replaces it: a field left out becomes unset)."""

    name: Name
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=50)] | None = None
    website: Website | None = None
    legal_name: LegalName | None = None
    address: Address | None = None
    tax_id: TaxId | None = None
    payment_instructions: PaymentInstructions | None = None
    terms: Terms | None = None

    @field_validator("legal_name", "address", "tax_id", "payment_instructions", "terms", mode="after")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value or None


class MspProfileOut(MspProfileFields):
    updated_at: dt.datetime | None
