"""Invoices and credit notes as the API and their events show them: plain dicts, built fast (a billing run
builds one per invoice), that `schemas.InvoiceOut` and `schemas.CreditNoteOut` describe; each route validates
what it sends against them, and tests hold the hot read byte-equal to the model's JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from vcio_shared import money

_fmt = money.format_digits


def _d(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def line_out(line: Mapping[Any, Any], currency: str) -> dict[str, Any]:
    return _line(line, money.digits(currency))


def _line(line: Mapping[Any, Any], d: int) -> dict[str, Any]:
    return {
        "kind": line["kind"],
        "description": line["description"],
        "period_start": _d(line["period_start"]),
        "period_end": _d(line["period_end"]),
        "quantity": line["quantity"],
        "unit_amount": _fmt(line["unit_amount"], d),
        "amount": _fmt(line["amount"], d),
    }


def invoice_out(row: Mapping[Any, Any], lines: Sequence[Mapping[Any, Any]], *, named: bool = False) -> dict[str, Any]:
    """The invoice as its events show it; `named`, as the API answers it: with `client_name` (the row's, which
    the query joined from clients) after `client_id`, in `schemas.InvoiceOut`'s order."""
    cur = row["currency"]
    d = money.digits(cur)
    due = row["total"] - row["amount_paid"] - row["amount_credited"]
    out = {
        "id": str(row["id"]),
        "number": row["number"],
        "agreement_id": str(row["agreement_id"]),
        "client_id": str(row["client_id"]),
    }
    if named:
        out["client_name"] = row["client_name"]
    out.update(
        {
            "kind": row["kind"],
            "status": row["status"],
            "period_start": _d(row["period_start"]),
            "period_end": _d(row["period_end"]),
            "issue_date": _d(row["issue_date"]),
            "due_date": _d(row["due_date"]),
            "currency": cur,
            "subtotal": _fmt(row["subtotal"], d),
            "tax_rate": row["tax_rate"],
            "tax": _fmt(row["tax"], d),
            "total": _fmt(row["total"], d),
            "amount_paid": _fmt(row["amount_paid"], d),
            "amount_credited": _fmt(row["amount_credited"], d),
            "amount_due": _fmt(max(due, 0) if row["status"] in ("draft", "issued") else 0, d),
            # owed back to the client: credit notes beyond what was left unpaid
            "refund_due": _fmt(row["amount_refund_due"], d),
            "lines": [_line(ln, d) for ln in lines],
        }
    )
    return out


def with_client_name(out: Mapping[str, Any], client_name: str | None) -> dict[str, Any]:
    """An invoice built unnamed (a billing run's), as the API answers it: `client_name` after `client_id`."""
    named: dict[str, Any] = {}
    for key, value in out.items():
        named[key] = value
        if key == "client_id":
            named["client_name"] = client_name
    return named


def credit_note_out(row: Mapping[Any, Any]) -> dict[str, Any]:
    cur = row["currency"]
    return {
        "id": str(row["id"]),
        "number": row["number"],
        "invoice_id": str(row["invoice_id"]),
        "agreement_id": str(row["agreement_id"]),
        "client_id": str(row["client_id"]),
        "kind": row["kind"],
        "reason": row["reason"],
        "issue_date": _d(row["issue_date"]),
        "currency": cur,
        "subtotal": money.format(row["subtotal"], cur),
        "tax": money.format(row["tax"], cur),
        "total": money.format(row["total"], cur),
        "refund_due": money.format(row["refund_due"], cur),
        "lines": row["lines"],
    }
