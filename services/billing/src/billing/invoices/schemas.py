from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from vcio_shared.schemas import DateTime, RequestModel


class PaymentRequest(RequestModel):
    amount: str = Field(max_length=40)
    paid_at: DateTime
    reference: str = Field(default="", max_length=200)

    @field_validator("paid_at")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("must carry a UTC offset (RFC 3339)")
        if not 1970 <= v.year <= 2999:
            raise ValueError("out of range")
        return v


class CreditNoteRequest(RequestModel):
    amount: str = Field(max_length=40, description="before tax; tax is added at the invoice's rate")
    reason: str = Field(min_length=1, max_length=1000)
