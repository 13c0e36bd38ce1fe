"""Proposals: the list with their states, and the builder. A draft is made and changed through the proposals API,
which prices it: the totals and the schedule summary shown are what the API answers for the draft, never figures
the console works out itself. The preview is the API's own rendering of the client's page."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vcio_console.api import Calls, Refused, as_uuid
from vcio_console.render import Ctx, render
from vcio_console.signin import CheckedForm

router = APIRouter()
NAV = (40, "Proposals", "/proposals", "proposals")
PAGE_SIZE = 50
STATUSES = ("draft", "sent", "viewed", "accepted", "declined", "expired", "superseded")
OPTION_ROWS = 3  # optional items the builder offers rows for
TERM_FIELDS = ("start_date", "discount_percent", "discount_reason")
# The preview is the proposals API's HTML: its own inline style, no script, framed by the builder only.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'self'"


@dataclass
class Draft:
    """The builder's form as typed: the terms and the optional item rows."""

    values: dict[str, str]
    options: list[dict[str, str]]
    idempotency_key: str = field(default_factory=lambda: str(uuid.uuid4()))


def blank_option() -> dict[str, str]:
    return {"description": "", "kind": "recurring", "amount": ""}


def draft_of(proposal: dict[str, Any]) -> Draft:
    """The builder filled with a draft as the API answered it (its optional lines, in order)."""
    values = {
        "start_date": proposal["start_date"],
        "discount_percent": "" if proposal["discount_percent"] in ("0", "0.00") else proposal["discount_percent"],
        "discount_reason": proposal["discount_reason"] or "",
    }
    options = [
        {"description": line["activity"] or line["description"], "kind": line["kind"], "amount": line["list_amount"]}
        for line in proposal["lines"]
        if line["optional"]
    ]
    return Draft(values=values, options=(options + [blank_option() for _ in range(OPTION_ROWS)])[:OPTION_ROWS])


def draft_from_form(form: dict[str, str]) -> Draft:
    values = {k: form.get(k, "").strip() for k in TERM_FIELDS}
    options = [
        {
            "description": form.get(f"option-{i}-description", "").strip(),
            "kind": form.get(f"option-{i}-kind", "recurring"),
            "amount": form.get(f"option-{i}-amount", "").strip(),
        }
        for i in range(OPTION_ROWS)
    ]
    return Draft(values=values, options=options, idempotency_key=form.get("idempotency_key") or str(uuid.uuid4()))


def changes_of(draft: Draft, activities: set[str]) -> dict[str, Any]:
    """The PATCH body: every term as typed (a blank discount is none), and the optional items filled in. An item
    named like one of the package's activities is that activity, offered as an option; any other is a free line."""
    items = []
    for row in draft.options:
        if not row["description"] and not row["amount"]:
            continue
        key = "activity" if row["description"] in activities else "description"
        items.append({key: row["description"], "kind": row["kind"], "amount": row["amount"]})
    return {
        "start_date": draft.values["start_date"],
        "discount_percent": draft.values["discount_percent"] or "0",
        "discount_reason": draft.values["discount_reason"] or None,
        "optional_items": items,
    }


def default_start(today: dt.date) -> dt.date:
    """The first of next month: where most agreements start."""
    return today.replace(day=1) + relativedelta(months=1)


def latest_versions(packages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each published package once, at its newest version, by name."""
    newest: dict[str, dict[str, Any]] = {}
    for p in packages:
        if p["status"] == "published" and p["version"] >= newest.get(p["id"], {}).get("version", 0):
            newest[p["id"]] = p
    return sorted(newest.values(), key=lambda p: (p["name"].casefold(), p["id"]))


# ---------------------------------------------------------------- the list


@router.get("/proposals", response_class=HTMLResponse)
async def proposal_list(
    request: Request,
    ctx: Ctx,
    status: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    params = {"limit": PAGE_SIZE, "status": status or None, "cursor": cursor or None}
    page = await ctx.calls.get("proposals", "/v1/proposals", params)
    data = {
        "page": "proposals",
        "proposals": page["items"],
        "next_cursor": page["next_cursor"],
        "status": status,
        "statuses": STATUSES,
    }
    return render(request, ctx, "proposals.html", data)


# ---------------------------------------------------------------- a new draft


async def _choices(calls: Calls) -> dict[str, Any]:
    clients, packages = await asyncio.gather(
        calls.every("proposals", "/v1/clients"), calls.every("proposals", "/v1/catalog/packages")
    )
    return {
        "clients": sorted(clients, key=lambda c: (c["name"].casefold(), c["id"])),
        "packages": latest_versions(packages),
    }


def _new_page(
    request: Request, ctx: Ctx, values: dict[str, str], choices: dict[str, Any], error: str | None, status: int = 200
) -> HTMLResponse:
    data = {"page": "proposals", "values": values, "error": error, **choices}
    return render(request, ctx, "proposals_new.html", data, status=status)


@router.get("/proposals/new", response_class=HTMLResponse)
async def new_proposal(
    request: Request, ctx: Ctx, client_id: Annotated[str, Query(max_length=36)] = ""
) -> HTMLResponse:
    values = {
        "client_id": client_id,
        "package_id": "",
        "start_date": default_start(dt.datetime.now(dt.UTC).date()).isoformat(),
        "idempotency_key": str(uuid.uuid4()),
    }
    return _new_page(request, ctx, values, await _choices(ctx.calls), None)


@router.post("/proposals/new", response_model=None)
async def create_proposal(request: Request, ctx: Ctx, form: CheckedForm) -> Response:
    """A draft for the client and package picked (Idempotency-Key from the form: a double submit makes one)."""
    values = {k: form.get(k, "").strip() for k in ("client_id", "package_id", "start_date", "idempotency_key")}
    values["idempotency_key"] = values["idempotency_key"] or str(uuid.uuid4())
    body = {k: values[k] for k in ("client_id", "package_id", "start_date")}
    try:
        proposal = await ctx.calls.send(
            "POST", "proposals", "/v1/proposals", body, idempotency_key=values["idempotency_key"]
        )
    except Refused as exc:
        return _new_page(request, ctx, values, await _choices(ctx.calls), str(exc), exc.status)
    return RedirectResponse(f"/proposals/{proposal['id']}", status_code=303)


# ---------------------------------------------------------------- one proposal: the builder, send, status


async def _package_activities(calls: Calls, proposal: dict[str, Any]) -> set[str]:
    package = proposal["package"]
    found = await calls.get("proposals", f"/v1/catalog/packages/{package['id']}", {"version": package["version"]})
    return {a["name"] for a in found["activities"]}


def _proposal_page(
    request: Request,
    ctx: Ctx,
    proposal: dict[str, Any],
    *,
    draft: Draft | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    data = {
        "page": "proposals",
        "p": proposal,
        "draft": draft or (draft_of(proposal) if proposal["status"] == "draft" else None),
        "send_key": str(uuid.uuid4()),
        "error": error,
    }
    return render(request, ctx, "proposals_builder.html", data, status=status)


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse)
async def proposal_page(request: Request, ctx: Ctx, proposal_id: str) -> HTMLResponse:
    proposal = await ctx.calls.get("proposals", f"/v1/proposals/{as_uuid(proposal_id)}")
    return _proposal_page(request, ctx, proposal)


@router.post("/proposals/{proposal_id}", response_model=None)
async def change_draft(request: Request, ctx: Ctx, proposal_id: str, form: CheckedForm) -> Response:
    """The draft's terms as typed, through PATCH. htmx (as you type) gets the figures the API answered; a form
    post without script is redirected to the page. A refusal keeps what was typed and says why."""
    pid = as_uuid(proposal_id)
    draft = draft_from_form(form)
    proposal = await ctx.calls.get("proposals", f"/v1/proposals/{pid}")
    htmx = request.headers.get("hx-request") == "true"
    try:
        changes = changes_of(draft, await _package_activities(ctx.calls, proposal))
        proposal = await ctx.calls.send("PATCH", "proposals", f"/v1/proposals/{pid}", changes)
    except Refused as exc:
        if htmx:  # htmx swaps a 200 only: the last figures stay, with what was refused above them
            return render(request, ctx, "proposals_figures.html", {"p": proposal, "error": str(exc)})
        return _proposal_page(request, ctx, proposal, draft=draft, error=str(exc), status=exc.status)
    if htmx:
        return render(request, ctx, "proposals_figures.html", {"p": proposal, "error": None})
    return RedirectResponse(f"/proposals/{pid}", status_code=303)


@router.post("/proposals/{proposal_id}/send", response_model=None)
async def send_proposal(request: Request, ctx: Ctx, proposal_id: str, form: CheckedForm) -> Response:
    """Send the draft (mailed to the client by proposals); the Idempotency-Key makes a double click one send."""
    pid = as_uuid(proposal_id)
    key = form.get("idempotency_key") or str(uuid.uuid4())
    try:
        await ctx.calls.send("POST", "proposals", f"/v1/proposals/{pid}/send", {}, idempotency_key=key)
    except Refused as exc:
        proposal = await ctx.calls.get("proposals", f"/v1/proposals/{pid}")
        return _proposal_page(request, ctx, proposal, error=str(exc), status=exc.status)
    return RedirectResponse(f"/proposals/{pid}", status_code=303)


@router.get("/proposals/{proposal_id}/preview", response_model=None)
async def preview(ctx: Ctx, proposal_id: str) -> Response:
    """The client's page as the proposals API renders it for staff (any state; it records no view)."""
    path = f"/v1/proposals/{as_uuid(proposal_id)}/preview"
    page = await ctx.calls.html("proposals", path)
    headers = {"content-security-policy": PREVIEW_CSP, "cache-control": "no-store"}
    return Response(page, media_type="text/html; charset=utf-8", headers=headers)
