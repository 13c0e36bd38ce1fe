"""A tenant's strategy settings, as read and written."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from vcio_shared.schemas import RequestModel, ResponseModel

DEFAULT_FISCAL_YEAR_START_MONTH = 1


class TenantSettingsUpdate(RequestModel):
    """PUT /v1/settings: the month (1-12) the tenant's clients' fiscal years start in."""

    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)]


class TenantSettingsOut(ResponseModel):
    fiscal_year_start_month: int
    updated_at: dt.datetime | None = None
