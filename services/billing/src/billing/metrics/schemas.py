"""Metrics answers (money as decimal strings beside `currency`)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from billing.invoices.schemas import ExactResponse


class MrrOut(ExactResponse):
    as_of: dt.date
    currency: str
    mrr: str
    arr: str = Field(description="twelve times the MRR")
    active_agreements: int


class MovementOut(ExactResponse):
    """One month's MRR movements in one currency."""

    month: str = Field(description="YYYY-MM", pattern=r"^[0-9]{4}-[0-9]{2}$")
    currency: str
    new: str
    expansion: str
    contraction: str = Field(description="negative or zero")
    churn: str = Field(description="negative or zero")
    net: str


class ActivityValueOut(ExactResponse):
    billing_mode: str = Field(description="billable or included")
    driver: str = Field(description="revenue (billable) or cost (included)")
    activities: int
    hours: str
