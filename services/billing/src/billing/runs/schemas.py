from __future__ import annotations

from vcio_shared.schemas import RequestModel

from billing.dates import Day


class BillingRunRequest(RequestModel):
    as_of: Day
    dry_run: bool = False
    background: bool = False  # answer 202 at once and bill in the background (poll GET for progress)
