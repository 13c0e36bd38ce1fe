from __future__ import annotations

from billing.dates import Day
from vcio_shared.schemas import RequestModel


class BillingRunRequest(RequestModel):
    as_of: Day
    dry_run: bool = False
    background: bool = False  # answer 202 at once and bill in the background (poll GET for progress)
