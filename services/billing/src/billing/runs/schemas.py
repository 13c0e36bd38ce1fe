"""Billing-run requests and answers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import Field, WithJsonSchema

from billing.dates import Day
from billing.invoices.schemas import ExactResponse, InvoiceOut
from vcio_shared.schemas import RequestModel

# An instant as the run row's isoformat() writes it ("+00:00", not "Z"): kept as that text.
Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class RunCreate(RequestModel):
    as_of: Day
    dry_run: bool = False
    background: bool = False  # answer 202 at once and bill in the background (poll GET for progress)


class RunTotalOut(ExactResponse):
    currency: str
    amount: str


class RunErrorOut(ExactResponse):
    """An agreement the run could not bill. Keys in the order PostgreSQL's jsonb keeps them: the run's errors
    are read back from it."""

    error: str
    agreement_id: str


class RunOut(ExactResponse):
    id: uuid.UUID
    status: str = Field(description="running, completed or failed")
    as_of: dt.date
    dry_run: bool
    trigger: str = Field(description="api or schedule")
    agreements_total: int
    agreements_processed: int
    invoices_created: int
    totals: list[RunTotalOut]
    errors: list[RunErrorOut]
    started_at: Instant
    finished_at: Instant | None
    duration_ms: int | None


class DryRunOut(RunOut):
    """A dry run: what a real run would make, invoices included; nothing is written."""

    invoices: list[InvoiceOut]
