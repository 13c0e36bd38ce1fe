"""What a proposal version says, for people (page, PDF, API) and for the hash (the canonical document).

The canonical document is the proposal version as shown plus the chosen options, serialised as JSON with sorted
keys, no insignificant whitespace and UTF-8 (no floats anywhere: money is strings). `document_sha256` is the
SHA-256 of those bytes; `GET /v1/proposals/{id}/document` serves them so anyone can recompute it.

Dates: the API and the document keep the contract's end-exclusive `end_date`; people are shown the term's last
day (2027-01-01 for 12 months reads "1 January 2027 to 31 December 2027").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from proposals.proposals import calc
from vcio_shared import money
from vcio_shared.dates import term_end, term_last_day
from vcio_shared.documents import long_date

# v2 added auto_renew, renewal_terms and msp.terms; v1 documents (accepted before) had none of them.
FORMAT = "vcio.proposal.v2"
LEGACY_FORMAT = "vcio.proposal.v1"


def last_day(start: dt.date, term_months: int) -> dt.date:
    """The term's last day, as people read it (the end date in the API is the day after)."""
    return term_last_day(start, term_months)


def renewal_terms(row: Any) -> str:
    """The renewal in plain words, as the page and the PDF print it (and the document hashes it)."""
    last = long_date(last_day(row.start_date, row.term_months))
    if not row.auto_renew:
        return f"This agreement ends on {last} and does not renew automatically."
    months = f"{row.term_months} month{'' if row.term_months == 1 else 's'}"
    return f"This agreement renews automatically for another {months} unless either party gives notice before {last}."


def _signed_legacy(row: Any) -> bool:
    """An acceptance recorded before v2: its page must not show renewal terms the client never saw."""
    return row.accepted_document is not None and json.loads(row.accepted_document).get("format") == LEGACY_FORMAT


def _package(row: Any, package_id: Any) -> dict[str, Any]:
    """The package a version was composed from; `package_id` as the caller writes it (UUID or text)."""
    package = row.package
    return {"id": package_id, "version": row.package_version, "name": package["name"], "tier": package.get("tier")}


def _money(minor: int, currency: str) -> str:
    return money.format(minor, currency)


def selection(row: Any, selected: list[str] | None) -> list[str]:
    """The options in force: the accepted ones once accepted, else the ones asked for (valid ids only)."""
    if row.status == "accepted":
        return sorted(row.selected_options)
    offered = {ln["id"] for ln in row.lines if ln["optional"]}
    return sorted(set(selected or ()) & offered)


def canonical_document(row: Any, selected: list[str]) -> dict[str, Any]:
    cur = row.currency
    chosen = set(selected)
    t = calc.totals(row.lines, chosen, row.term_months)
    return {
        "format": FORMAT,
        "proposal_id": str(row.id),
        "version": row.version,
        "msp": {"name": row.msp_name, "terms": row.msp_terms},
        "client": {k: row.client_snapshot[k] for k in ("id", "name", "email")},
        "package": _package(row, str(row.package_id)),
        "currency": cur,
        "start_date": row.start_date.isoformat(),
        "end_date": term_end(row.start_date, row.term_months).isoformat(),
        "term_months": row.term_months,
        "billing_cycle": row.billing_cycle,
        "auto_renew": row.auto_renew,
        "renewal_terms": renewal_terms(row),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "discount_percent": calc.format_percent(Decimal(row.discount_percent)),
        "discount_reason": row.discount_reason,
        "lines": [{**_line(ln, cur), "included": (not ln["optional"]) or ln["id"] in chosen} for ln in row.lines],
        "selected_options": sorted(chosen),
        "scope": [
            {
                "name": s["name"],
                "cadence": s["cadence"],
                "role": s["role"],
                "occurrences": s["occurrences"],
                "optional": s["optional"],
                "included": (not s["optional"]) or s["option_id"] in chosen,
            }
            for s in row.schedule_summary
        ],
        "monthly_total": _money(t.monthly, cur),
        "one_time_total": _money(t.one_time, cur),
        "contract_value": _money(t.contract_value, cur),
    }


def canonical_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


def present(
    row: Any, selected: list[str] | None = None, *, base_url: str | None = None, calendar: bool = True
) -> dict[str, Any]:
    """Everything the API answer, the page and the PDF show about one version, money formatted."""
    cur = row.currency
    chosen = selection(row, selected)
    t = calc.totals(row.lines, chosen, row.term_months)
    doc = canonical_document(row, chosen)
    tax_rate = Decimal(row.client_snapshot.get("tax_rate", "0"))
    activities = calc.scope_activities(row.package, row.lines, chosen)
    out: dict[str, Any] = {
        "id": row.id,
        "version": row.version,
        "status": row.status,
        "client_id": row.client_id,
        "client": {k: row.client_snapshot.get(k) for k in ("id", "name", "email", "timezone")},
        "msp_name": row.msp_name,
        "package": _package(row, row.package_id),
        "currency": cur,
        "start_date": row.start_date,
        "end_date": term_end(row.start_date, row.term_months),
        "last_day": last_day(row.start_date, row.term_months),
        "term_months": row.term_months,
        "billing_cycle": row.billing_cycle,
        "auto_renew": row.auto_renew,
        "renewal_terms": renewal_terms(row),
        "msp_terms": row.msp_terms,
        "shows_terms": not _signed_legacy(row),
        "discount_percent": calc.format_percent(Decimal(row.discount_percent)),
        "discount_reason": row.discount_reason,
        "valid_until": row.valid_until,
        "lines": [_line_view(ln, cur, chosen) for ln in row.lines],
        "selected_options": chosen,
        "monthly_total": _money(t.monthly, cur),
        "one_time_total": _money(t.one_time, cur),
        "contract_value": _money(t.contract_value, cur),
        "first_invoice_estimate": calc.first_invoice_estimate(
            t.monthly, t.one_time, row.start_date, row.billing_cycle, tax_rate, cur
        ),
        "schedule_summary": [{k: s[k] for k in _SUMMARY_KEYS} for s in row.schedule_summary],
        "activities": activities,
        "accept_url": f"{base_url.rstrip('/')}/p/{row.token}" if base_url and row.token else None,
        **{k: getattr(row, k) for k in _OUTCOME_COLUMNS},
        "acceptance": _acceptance(row),
        "document_sha256": row.document_sha256,
        "shown_document_sha256": row.document_sha256 if row.status == "accepted" else sha256(doc),
        "supersedes_id": row.supersedes_id,
        "superseded_by_id": row.superseded_by_id,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
    if calendar:
        out["delivery_calendar"] = calc.delivery_calendar(activities, row.start_date, row.term_months)
    return out


_OUTCOME_COLUMNS = (
    "sent_at",
    "viewed_at",
    "accepted_at",
    "declined_at",
    "expired_at",
    "decline_reason",
    "signer_name",
    "signer_email",
)
_SUMMARY_KEYS = ("name", "cadence", "role", "occurrences", "optional", "option_id", "description", "category")


def _line(ln: dict[str, Any], cur: str) -> dict[str, Any]:
    """A line as the document and the view state it, money formatted."""
    return {
        "id": ln["id"],
        "kind": ln["kind"],
        "description": ln["description"],
        "list_amount": _money(ln["list_amount"], cur),
        "discount_amount": _money(ln["discount_amount"], cur),
        "amount": _money(ln["amount"], cur),
        "optional": ln["optional"],
    }


def _line_view(ln: dict[str, Any], cur: str, chosen: list[str]) -> dict[str, Any]:
    return {
        **_line(ln, cur),
        "selected": (not ln["optional"]) or ln["id"] in chosen,
        "has_discount": ln["discount_amount"] > 0,
        "activity": ln["activity"]["name"] if ln.get("activity") else None,
    }


def _acceptance(row: Any) -> dict[str, Any] | None:
    """How an accepted version was accepted (None before)."""
    if row.accepted_at is None:
        return None
    return {
        "channel": row.acceptance_channel,
        "ip": row.signer_ip,
        "user_agent": row.signer_user_agent,
        "recorded_by": row.accepted_by,
    }


def accepted_event_data(row: Any, now: dt.datetime) -> dict[str, Any]:
    """`vcio.proposals.proposal.accepted`: everything billing and scheduler need (docs/events.md)."""
    cur = row.currency
    inc = calc.included(row.lines, row.selected_options)
    c = row.client_snapshot
    return {
        "proposal_id": str(row.id),
        "version": row.version,
        "client": {k: c[k] for k in ("id", "name", "email", "timezone", "currency", "tax_rate", "payment_terms_days")},
        "package": _package(row, str(row.package_id)),
        "currency": cur,
        "monthly_total": _money(row.monthly_total_minor, cur),
        "one_time_total": _money(row.one_time_total_minor, cur),
        "contract_value": _money(row.contract_value_minor, cur),
        "discount_percent": calc.format_percent(Decimal(row.discount_percent)),
        "discount_reason": row.discount_reason,
        "start_date": row.start_date.isoformat(),
        "end_date": term_end(row.start_date, row.term_months).isoformat(),
        "term_months": row.term_months,
        "billing_cycle": row.billing_cycle,
        "auto_renew": row.auto_renew,
        "recurring_lines": [
            {"description": ln["description"], "amount": _money(ln["amount"], cur)}
            for ln in inc
            if ln["kind"] == "recurring"
        ],
        "one_time_lines": [
            {"description": ln["description"], "amount": _money(ln["amount"], cur)}
            for ln in inc
            if ln["kind"] == "one_time"
        ],
        "activities": calc.scope_activities(row.package, row.lines, row.selected_options),
        "selected_options": list(row.selected_options),
        "accepted_at": row.accepted_at.isoformat(),
        "signer_name": row.signer_name,
        "signer_email": row.signer_email,
        "document_sha256": row.document_sha256,
        "acceptance_channel": row.acceptance_channel,
    }
