"""Pricing from effort: a stored version's (`/{id}/pricing`) and a package being edited (`/quote`), at the rates
the request gives or the tenant's saved ones (catalog.tenants)."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.packages import bounds, service, views
from catalog.packages.schemas import (
    PricingLineOut,
    PricingOut,
    PricingRequest,
    QuoteActivityOut,
    QuoteOut,
    QuoteRequest,
    parse_amount,
)
from catalog.tenants import service as tenant_service
from vcio_shared import money
from vcio_shared.clock import Clock
from vcio_shared.errors import Unprocessable
from vcio_shared.vocabulary import Role


async def price(
    session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None, body: PricingRequest
) -> PricingOut:
    """Suggested monthly price of a stored version from its effort and the rates."""
    package = await service.get_package(session, tenant_id, package_id, version)
    activities = [a.model_dump() for a in package.activities]
    rates = await _rates(session, tenant_id, package.currency, body.rates)
    suggestion = _suggest(activities, package.term_months, package.currency, package.monthly_price, rates, body)
    return PricingOut(package_id=package.id, version=package.version, **suggestion)


async def quote(session: AsyncSession, tenant_id: str, clock: Clock, body: QuoteRequest) -> QuoteOut:
    """The figures of a package as it is being edited, stored nowhere: its cadences checked as a draft's are,
    its effort, contract value and the price its effort suggests (the same rules as a stored version's)."""
    draft = body.package
    basis, activities = await bounds.check(draft, clock, prefix=("body", "package"))
    row = views.version_row(draft, basis, activities)
    rates = await _rates(session, tenant_id, draft.currency, body.rates)
    suggestion = _suggest(activities, draft.term_months, draft.currency, draft.monthly_price, rates, body)
    contract = row["monthly_price"] * draft.term_months + row["onboarding_fee"]
    return QuoteOut(
        **suggestion,
        contract_value=money.format(contract, draft.currency),
        effort_hours_per_year=row["effort_hours_per_year"],
        schedule_basis_start=basis,
        activities=[
            QuoteActivityOut(
                name=a["name"],
                cadence=a["cadence"],
                occurrences_in_term=a["occurrences_in_term"],
                hours_per_year=views.hours_text(
                    Decimal(a["occurrences_in_term"]) * Decimal(a["effort_hours"]) * 12 / draft.term_months
                ),
            )
            for a in activities
        ],
    )


async def _rates(
    session: AsyncSession, tenant_id: str, currency: str, given: dict[Role, str] | None
) -> tuple[dict[str, str], bool]:
    """The rates to price at: those the request gives, else the tenant's saved ones in the currency (no merging:
    given rates are the whole set). Second: whether they came from the settings."""
    if given is not None:
        return {str(role): rate for role, rate in given.items()}, False
    saved = await tenant_service.rates_for(session, tenant_id, currency)
    if not saved:
        raise Unprocessable.field(
            ["body", "rates"], f"no rates given, and none saved for {currency} (PUT /v1/settings hourly_rates)"
        )
    return saved, True


def _suggest(
    activities: list[dict[str, Any]],
    term_months: int,
    currency: str,
    monthly_price: str,
    given: tuple[dict[str, str], bool],
    body: PricingRequest | QuoteRequest,
) -> dict[str, Any]:
    """Suggested monthly price from effort: Σ per role (hours a year × rate, rounded once) ÷ 12, rounded once."""
    hours = views.effort_per_year(activities, term_months, billable_only=body.billable_only)
    texts, saved = given
    errors: list[dict[str, Any]] = []
    rates: dict[str, int] = {}
    for rated, text in texts.items():
        try:
            rates[rated] = parse_amount(text, currency)
        except ValueError as exc:
            errors.append({"loc": ["body", "rates", rated], "msg": str(exc)})
    for role in hours:
        if role not in texts:
            where = f"the rates saved for {currency} (PUT /v1/settings)" if saved else "the rates given"
            errors.append(
                {
                    "loc": ["body", "rates", role],
                    "msg": f"no rate for {role} in {where}, who spends {hours[role]} hours a year on this package",
                }
            )
    if errors:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)[:500]
        raise Unprocessable(detail, errors=errors)
    lines = []
    annual = 0
    for role in sorted(hours):
        amount = money.round_half_up(hours[role] * rates[role])
        annual += amount
        lines.append(
            PricingLineOut(
                role=role,
                hours_per_year=str(hours[role]),
                rate=money.format(rates[role], currency),
                annual_amount=money.format(amount, currency),
            )
        )
    suggested = money.prorate(annual, 1, 12)
    list_price = money.parse(monthly_price, currency)
    margin = list_price - suggested
    percent = None
    if list_price > 0:
        percent = str((Decimal(margin) * 100 / Decimal(list_price)).quantize(views.HOURS, rounding=ROUND_HALF_UP))
    return {
        "currency": currency,
        "billable_only": body.billable_only,
        "lines": lines,
        "hours_per_year": views.hours_text(sum(hours.values(), Decimal(0))),
        "annual_effort_amount": money.format(annual, currency),
        "suggested_monthly_price": money.format(suggested, currency),
        "list_monthly_price": money.format(list_price, currency),
        "margin": money.format(margin, currency),
        "margin_percent": percent,
    }
