"""Tenant settings requests and answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from catalog.packages.schemas import AmountText
from vcio_shared.schemas import Currency, RequestModel, ResponseModel
from vcio_shared.vocabulary import Role

RoleRates = Annotated[dict[Role, AmountText], Field(min_length=1)]


class SettingsUpdate(RequestModel):
    """The whole settings: what is not given is cleared (an empty `hourly_rates` clears every rate)."""

    hourly_rates: Annotated[
        dict[Currency, RoleRates],
        Field(max_length=50, description="per currency, the hourly rate of each role, in that currency's digits"),
    ] = {}


class SettingsOut(ResponseModel):
    hourly_rates: dict[str, dict[str, str]] = Field(
        description="per currency, per role: used by pricing and quotes in that currency when they give no rates"
    )
    updated_at: dt.datetime | None
