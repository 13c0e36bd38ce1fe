"""The words an activity and a package are described with, shared by catalog, proposals and the scheduler."""

from __future__ import annotations

from typing import Literal

Category = Literal[
    "it_strategy",
    "business_applications",
    "data_and_bi",
    "office_productivity",
    "proposals",
    "system_integrations",
    "cybersecurity",
    "infrastructure",
    "account_management",
]
Role = Literal["vcio", "account_manager", "technical_account_manager", "engineer"]
Track = Literal["business", "technical"]
BillingMode = Literal["billable", "included"]
BillingCycle = Literal["monthly", "quarterly", "annual"]

CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
TRACKS: tuple[str, ...] = Track.__args__  # type: ignore[attr-defined]
BILLING_MODES: tuple[str, ...] = BillingMode.__args__  # type: ignore[attr-defined]
BILLING_CYCLES: tuple[str, ...] = BillingCycle.__args__  # type: ignore[attr-defined]
