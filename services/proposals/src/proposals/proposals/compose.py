"""A proposal version's terms composed into its stored columns: the package snapshot, the client, the lines,
the totals and the schedule, every rule checked (a 422 names the field that breaks it)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.catalog import repository as catalog_repository
from proposals.clients import repository as clients_repository
from proposals.msp import repository as msp_repository
from proposals.proposals import calc
from proposals.proposals.schemas import OneTimeItemCreate, OptionalItemCreate, ProposalUpdate
from vcio_shared import money
from vcio_shared.dates import local_date
from vcio_shared.errors import Unprocessable

MAX_CONTRACT_MINOR = 10**17
MAX_START_AHEAD_DAYS = 3 * 366


def _amount(value: str, currency: str, loc: list[str | int]) -> int:
    try:
        return money.parse(value, currency)
    except money.MoneyError as exc:
        raise Unprocessable.field(loc, str(exc)) from exc


def client_snapshot(client: Any) -> dict[str, Any]:
    return {
        "id": str(client.id),
        "name": client.name,
        "email": client.email,
        "timezone": client.timezone,
        "currency": client.currency,
        "tax_rate": calc.format_percent(Decimal(client.tax_rate)),
        "payment_terms_days": client.payment_terms_days,
    }


async def msp_terms(session: AsyncSession, tenant_id: str) -> dict[str, Any]:
    """The MSP's name and standard terms as they stand now, to freeze into a version."""
    profile = await msp_repository.get(session, tenant_id)
    if profile is None:
        return {"msp_name": tenant_id, "msp_terms": None}
    return {"msp_name": profile.name, "msp_terms": profile.terms}


async def load_package(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None) -> Any:
    pkg = await catalog_repository.get(session, tenant_id, package_id, version)
    if pkg is None:
        loc: list[str | int] = ["body", "package_version" if version is not None else "package_id"]
        raise Unprocessable.field(loc, "no such published package (version)")
    if pkg.retired_at is not None:
        raise Unprocessable.field(["body", "package_id"], f"package version {pkg.version} is retired")
    return pkg


async def load_client(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> Any:
    client = await clients_repository.get(session, tenant_id, client_id)
    if client is None:
        raise Unprocessable.field(["body", "client_id"], "no such client")
    return client


def _lines(
    pkg: Any, discount: Decimal, optional_items: list[OptionalItemCreate], one_time_items: list[OneTimeItemCreate]
) -> list[dict[str, Any]]:
    cur = pkg.currency
    activities = {a["name"]: a for a in pkg.data.get("activities", [])}
    label = f"{pkg.name} ({pkg.tier})" if pkg.tier else pkg.name
    lines = [calc.line("package", "recurring", label, pkg.monthly_price_minor, discount, source="package")]
    seen: set[str] = set()
    for i, item in enumerate(optional_items):
        activity = None
        if item.activity is not None:
            if item.activity not in activities:
                raise Unprocessable.field(
                    ["body", "optional_items", i, "activity"], "not an activity of this package version"
                )
            if item.activity in seen:
                raise Unprocessable.field(["body", "optional_items", i, "activity"], "offered twice")
            seen.add(item.activity)
            activity = activities[item.activity]
        amount = _amount(item.amount, cur, ["body", "optional_items", i, "amount"])
        description = item.description or f"Add-on: {item.activity}"
        lines.append(
            calc.line(
                f"option-{i + 1}",
                item.kind,
                description,
                amount,
                discount,
                optional=True,
                source="package" if activity else "custom",
                activity=activity,
            )
        )
    if pkg.onboarding_fee_minor:
        lines.append(
            calc.line("onboarding", "one_time", "Onboarding", pkg.onboarding_fee_minor, discount, source="package")
        )
    for i, fee in enumerate(one_time_items):
        amount = _amount(fee.amount, cur, ["body", "one_time_items", i, "amount"])
        lines.append(calc.line(f"one-time-{i + 1}", "one_time", fee.description, amount, discount, source="custom"))
    return lines


def compose(pkg: Any, client: Any, terms: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Every column a version's terms determine, checked."""
    if client.currency != pkg.currency:
        raise Unprocessable.field(
            ["body", "client_id"], f"the client is billed in {client.currency}; the package is priced in {pkg.currency}"
        )
    today = local_date(now, client.timezone)
    start: dt.date = terms["start_date"]
    if start < today - dt.timedelta(days=365):
        raise Unprocessable.field(["body", "start_date"], "must not be more than a year before today")
    if start > today + dt.timedelta(days=MAX_START_AHEAD_DAYS):
        raise Unprocessable.field(["body", "start_date"], "must not be more than three years ahead")
    discount = Decimal(terms.get("discount_percent") or 0)
    reason = terms.get("discount_reason") or None  # asked for on every discount, but the contract makes it optional
    valid_until = terms.get("valid_until")
    if valid_until is not None and valid_until < today:
        raise Unprocessable.field(["body", "valid_until"], "must not be in the past")
    term_months = terms.get("term_months") or pkg.term_months
    optional_items = [OptionalItemCreate.model_validate(i) for i in terms.get("optional_items") or []]
    one_time_items = [OneTimeItemCreate.model_validate(i) for i in terms.get("one_time_items") or []]
    lines = _lines(pkg, discount, optional_items, one_time_items)
    everything = calc.totals(lines, [ln["id"] for ln in lines], term_months)
    if everything.contract_value > MAX_CONTRACT_MINOR:
        raise Unprocessable.field(["body"], "the amounts are too large")
    base = calc.totals(lines, (), term_months)
    package = dict(pkg.data)
    return {
        "package_id": pkg.package_id,
        "package_version": pkg.version,
        "package": package,
        "client_snapshot": client_snapshot(client),
        "currency": pkg.currency,
        "start_date": start,
        "term_months": term_months,
        "billing_cycle": terms.get("billing_cycle") or pkg.billing_cycle,
        "auto_renew": terms.get("auto_renew", True),
        "discount_percent": discount,
        "discount_reason": reason,
        "valid_until": valid_until,
        "lines": lines,
        "schedule_summary": calc.schedule_summary(package, lines, start, term_months),
        "selected_options": [],
        "monthly_total_minor": base.monthly,
        "one_time_total_minor": base.one_time,
        "contract_value_minor": base.contract_value,
    }


def terms_of(row: Any) -> dict[str, Any]:
    """A version's terms as a request would state them (for PATCH and revise, which change some of them)."""
    items = []
    for ln in row.lines:
        if ln["optional"]:
            items.append(
                {
                    "activity": ln["activity"]["name"] if ln["source"] == "package" and ln.get("activity") else None,
                    "description": ln["description"],
                    "kind": ln["kind"],
                    "amount": money.format(ln["list_amount"], row.currency),
                }
            )
    one_time = [
        {"description": ln["description"], "amount": money.format(ln["list_amount"], row.currency)}
        for ln in row.lines
        if ln["source"] == "custom" and not ln["optional"]
    ]
    return {
        "start_date": row.start_date,
        "term_months": row.term_months,
        "billing_cycle": row.billing_cycle,
        "auto_renew": row.auto_renew,
        "discount_percent": Decimal(row.discount_percent),
        "discount_reason": row.discount_reason,
        "valid_until": row.valid_until,
        "optional_items": items,
        "one_time_items": one_time,
    }


async def recompose(
    session: AsyncSession, tenant_id: str, row: Any, body: ProposalUpdate, now: dt.datetime
) -> dict[str, Any]:
    """A version's columns after a PATCH or a revise: its own terms with the body's changes, checked again."""
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("package_version", None)
    if version is not None:
        pkg = await load_package(session, tenant_id, row.package_id, version)
    else:  # the version already snapshot, even if the catalog has retired it since
        pkg = await catalog_repository.get(session, tenant_id, row.package_id, row.package_version)
    client = await load_client(session, tenant_id, row.client_id)
    terms = {**terms_of(row), **changes}
    if "start_date" in changes and changes["start_date"] is None:
        raise Unprocessable.field(["body", "start_date"], "may not be null")
    return compose(pkg, client, terms, now)
