"""A package version as it is stored and answered: the row figures, the answer model and the event's data."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from catalog.packages.schemas import PackageCreate, PackageOut
from vcio_shared import money
from vcio_shared.ids import uuid7

HOURS = Decimal("0.01")


def hours_text(value: Decimal) -> str:
    return str(value.quantize(HOURS, rounding=ROUND_HALF_UP))


def effort_per_year(
    activities: Sequence[Mapping[str, Any]], term_months: int, *, billable_only: bool = False
) -> dict[str, Decimal]:
    """Hours a year per role: occurrences in the term × effort × 12 ÷ term, rounded half-up per role."""
    totals: dict[str, Decimal] = {}
    for a in activities:
        if billable_only and a["billing_mode"] != "billable":
            continue
        hours = Decimal(a["occurrences_in_term"]) * Decimal(a["effort_hours"]) * 12 / Decimal(term_months)
        totals[a["role"]] = totals.get(a["role"], Decimal(0)) + hours
    return {role: h.quantize(HOURS, rounding=ROUND_HALF_UP) for role, h in totals.items() if h > 0}


def version_row(body: PackageCreate, basis: dt.date, activities: list[dict[str, Any]]) -> dict[str, Any]:
    hours = effort_per_year(activities, body.term_months)
    return {
        "name": body.name,
        "tier": body.tier,
        "description": body.description,
        "currency": body.currency,
        "monthly_price": body.minor("monthly_price"),
        "onboarding_fee": body.minor("onboarding_fee"),
        "billing_cycle": body.billing_cycle,
        "term_months": body.term_months,
        "effort_hours_per_year": {role: str(h) for role, h in sorted(hours.items())},
        "schedule_basis_start": basis,
    }


def activity_rows(
    tenant_id: str, package_id: uuid.UUID, version: int, activities: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {
            **a,
            "id": uuid7(),
            "tenant_id": tenant_id,
            "package_id": package_id,
            "package_version": version,
            "position": i,
        }
        for i, a in enumerate(activities)
    ]


def to_out(row: Mapping[Any, Any], activities: Sequence[Mapping[Any, Any]]) -> PackageOut:
    currency, term = row["currency"], row["term_months"]
    hours = row["effort_hours_per_year"]
    return PackageOut.model_validate(
        {
            "id": row["id"],
            "version": row["version"],
            "latest_version": row["latest_version"],
            "status": row["status"],
            "name": row["name"],
            "tier": row["tier"],
            "description": row["description"],
            "currency": currency,
            "monthly_price": money.format(row["monthly_price"], currency),
            "billing_cycle": row["billing_cycle"],
            "term_months": term,
            "onboarding_fee": money.format(row["onboarding_fee"], currency),
            "contract_value": money.format(row["monthly_price"] * term + row["onboarding_fee"], currency),
            "effort_hours_per_year": hours,
            "total_effort_hours_per_year": hours_text(sum((Decimal(h) for h in hours.values()), Decimal(0))),
            "schedule_basis_start": row["schedule_basis_start"],
            # plain dicts: pydantic-core validates the whole version at once, faster than a model per activity
            "activities": [
                {
                    "name": a["name"],
                    "category": a["category"],
                    "track": a["track"],
                    "billing_mode": a["billing_mode"],
                    "cadence": a["cadence"],
                    "role": a["role"],
                    "effort_hours": hours_text(Decimal(a["effort_hours"])),
                    "deliverable": a["deliverable"],
                    "occurrences_in_term": a["occurrences_in_term"],
                    "hours_per_year": hours_text(
                        Decimal(a["occurrences_in_term"]) * Decimal(a["effort_hours"]) * 12 / term
                    ),
                }
                for a in activities
            ],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "published_at": row["published_at"],
            "retired_at": row["retired_at"],
        }
    )


def published_event_data(package: PackageOut) -> dict[str, Any]:
    """The whole version, as docs/events.md lists it (plus the effort figures); nothing that changes later."""
    return package.model_dump(mode="json", exclude={"latest_version", "retired_at", "updated_at"})
