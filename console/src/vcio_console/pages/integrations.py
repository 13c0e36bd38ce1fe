"""Integrations: the practice's webhook endpoints (create with the secret shown once, enable or disable, rotate
the secret, a test ping, delete), an endpoint's delivery log with its attempts, retry, and replay since a time."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vcio_console.api import Calls, Refused, as_uuid
from vcio_console.render import Ctx, render
from vcio_console.signin import CheckedForm

router = APIRouter()
NAV = (70, "Integrations", "/integrations", "integrations")
PAGE_SIZE = 50
DELIVERY_STATES = ("pending", "delivered", "failed")

StatusFilter = Annotated[str, Query(max_length=20, pattern=r"^(pending|delivered|failed)?$")]
TypeFilter = Annotated[str, Query(max_length=200, pattern=r"^[a-z0-9_.]*$")]
Cursor = Annotated[str, Query(max_length=200)]
Count = Annotated[int | None, Query(ge=0, le=10_000_000)]


def new_key() -> str:
    """A form's Idempotency-Key, made when the form is rendered: a double submit is one write."""
    return str(uuid.uuid4())


def event_types(text: str) -> list[str]:
    """The patterns typed in one field, separated by commas, spaces or lines; none means every type."""
    return [p for p in re.split(r"[\s,]+", text.strip()) if p]


def since_instant(value: str) -> str:
    """A `datetime-local` value (no zone) read as UTC, as the API takes it; anything else is sent as typed."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
        return f"{value}:00+00:00"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value):
        return f"{value}+00:00"
    return value


async def _clients(calls: Calls) -> list[dict[str, Any]]:
    clients = await calls.every("proposals", "/v1/clients")
    return sorted(clients, key=lambda c: (c["name"].casefold(), c["id"]))


async def list_data(calls: Calls) -> dict[str, Any]:
    endpoints, clients = await asyncio.gather(calls.every("integrations", "/v1/webhook-endpoints"), _clients(calls))
    return {
        "page": "integrations",
        "endpoints": sorted(endpoints, key=lambda e: (e["created_at"], e["id"])),
        "clients": {c["id"]: c for c in clients},
        "client_choices": clients,
        "form": {"url": "", "description": "", "event_types": "", "client_id": "", "enabled": "on"},
        "idempotency_key": new_key(),
        "error": None,
    }


@router.get("/integrations", response_class=HTMLResponse)
async def integrations_page(request: Request, ctx: Ctx) -> HTMLResponse:
    return render(request, ctx, "integrations.html", await list_data(ctx.calls))


@router.post("/integrations/endpoints")
async def create_endpoint(request: Request, ctx: Ctx, form: CheckedForm) -> Response:
    """Register an endpoint. Its secret is shown in this answer only (a redirect would have to carry it); the
    same form sent again (a reload) has the same Idempotency-Key, so it shows the same endpoint, made once."""
    body: dict[str, Any] = {
        "url": form.get("url", "").strip(),
        "description": form.get("description", "").strip() or None,
        "event_types": event_types(form.get("event_types", "")),
        "enabled": form.get("enabled") == "on",
    }
    if form.get("client_id"):
        body["client_id"] = form["client_id"]
    try:
        created = await ctx.calls.send(
            "POST", "integrations", "/v1/webhook-endpoints", body, idempotency_key=form.get("idempotency_key") or None
        )
    except Refused as exc:
        data = await list_data(ctx.calls)
        data["form"] = {**data["form"], **form, "enabled": form.get("enabled", "")}
        data["error"] = str(exc)
        return render(request, ctx, "integrations.html", data, status=exc.status)
    data = {"page": "integrations", "endpoint": created, "secret": created["secret"], "rotated": False}
    return render(request, ctx, "integrations_secret.html", data, status=201)


async def endpoint_data(
    calls: Calls, endpoint_id: str, *, status: str = "", event_type: str = "", cursor: str = ""
) -> dict[str, Any]:
    query = {"order": "desc", "limit": PAGE_SIZE, "status": status or None, "event_type": event_type or None}
    endpoint = await calls.get("integrations", f"/v1/webhook-endpoints/{endpoint_id}")
    deliveries, clients = await asyncio.gather(
        calls.get(
            "integrations", f"/v1/webhook-endpoints/{endpoint_id}/deliveries", {**query, "cursor": cursor or None}
        ),
        _clients(calls) if endpoint["client_id"] else _no_clients(),
    )
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    return {
        "page": "integrations",
        "endpoint": endpoint,
        "client": next((c for c in clients if c["id"] == endpoint["client_id"]), None),
        "deliveries": deliveries["items"],
        "next_cursor": deliveries["next_cursor"],
        "filters": {"status": status, "event_type": event_type},
        "states": DELIVERY_STATES,
        "since": since,
        "errors": {},
        "replayed": None,
        "keys": {"test": new_key(), "replay": new_key()},
    }


async def _no_clients() -> list[dict[str, Any]]:
    return []


@router.get("/integrations/endpoints/{endpoint_id}", response_class=HTMLResponse)
async def endpoint_page(
    request: Request,
    ctx: Ctx,
    endpoint_id: str,
    status: StatusFilter = "",
    event_type: TypeFilter = "",
    cursor: Cursor = "",
    replayed: Count = None,
) -> HTMLResponse:
    data = await endpoint_data(ctx.calls, as_uuid(endpoint_id), status=status, event_type=event_type, cursor=cursor)
    data["replayed"] = replayed
    return render(request, ctx, "integrations_endpoint.html", data)


async def _endpoint_write(
    request: Request, ctx: Ctx, endpoint_id: str, which: str, method: str, path: str, body: Any, key: str | None
) -> tuple[Any, Response | None]:
    """One write on an endpoint: its answer, or the endpoint's page again with the service's refusal."""
    try:
        return await ctx.calls.send(method, "integrations", path, body, idempotency_key=key), None
    except Refused as exc:
        data = await endpoint_data(ctx.calls, endpoint_id)
        data["errors"] = {which: str(exc)}
        return None, render(request, ctx, "integrations_endpoint.html", data, status=exc.status)


def _back(endpoint_id: str, anchor: str = "", query: str = "") -> RedirectResponse:
    return RedirectResponse(f"/integrations/endpoints/{endpoint_id}{query}{anchor}", status_code=303)


@router.post("/integrations/endpoints/{endpoint_id}/enabled")
async def set_enabled(request: Request, ctx: Ctx, endpoint_id: str, form: CheckedForm) -> Response:
    eid = as_uuid(endpoint_id)
    body = {"enabled": form.get("enabled") == "true"}
    _, refused = await _endpoint_write(
        request, ctx, eid, "enabled", "PATCH", f"/v1/webhook-endpoints/{eid}", body, None
    )
    return refused or _back(eid)


@router.post("/integrations/endpoints/{endpoint_id}/rotate-secret")
async def rotate_secret(request: Request, ctx: Ctx, endpoint_id: str, form: CheckedForm) -> Response:
    """A new secret, shown in this answer only; the old one keeps signing beside it for 24 hours."""
    eid = as_uuid(endpoint_id)
    path = f"/v1/webhook-endpoints/{eid}/rotate-secret"
    answer, refused = await _endpoint_write(request, ctx, eid, "rotate", "POST", path, None, None)
    if refused:
        return refused
    endpoint = await ctx.calls.get("integrations", f"/v1/webhook-endpoints/{eid}")
    data = {"page": "integrations", "endpoint": endpoint, "secret": answer["secret"], "rotated": True}
    return render(request, ctx, "integrations_secret.html", data)


@router.post("/integrations/endpoints/{endpoint_id}/test")
async def test_ping(request: Request, ctx: Ctx, endpoint_id: str, form: CheckedForm) -> Response:
    eid = as_uuid(endpoint_id)
    path = f"/v1/webhook-endpoints/{eid}/test"
    _, refused = await _endpoint_write(request, ctx, eid, "test", "POST", path, None, form.get("idempotency_key"))
    return refused or _back(eid, "#deliveries-h")


@router.post("/integrations/endpoints/{endpoint_id}/replay")
async def replay(request: Request, ctx: Ctx, endpoint_id: str, form: CheckedForm) -> Response:
    eid = as_uuid(endpoint_id)
    body = {"since": since_instant(form.get("since", "").strip())}
    path = f"/v1/webhook-endpoints/{eid}/replay"
    answer, refused = await _endpoint_write(
        request, ctx, eid, "replay", "POST", path, body, form.get("idempotency_key")
    )
    return refused or _back(eid, "#deliveries-h", f"?replayed={int(answer['queued'])}")


@router.post("/integrations/endpoints/{endpoint_id}/delete")
async def delete_endpoint(request: Request, ctx: Ctx, endpoint_id: str, form: CheckedForm) -> Response:
    eid = as_uuid(endpoint_id)
    path = f"/v1/webhook-endpoints/{eid}"
    _, refused = await _endpoint_write(request, ctx, eid, "delete", "DELETE", path, None, None)
    return refused or RedirectResponse("/integrations", status_code=303)


@router.post("/integrations/deliveries/{delivery_id}/retry")
async def retry_delivery(request: Request, ctx: Ctx, delivery_id: str, form: CheckedForm) -> Response:
    """Send a delivery again now (the same webhook-id); back to its endpoint's log."""
    did = as_uuid(delivery_id)
    delivery = await ctx.calls.get("integrations", f"/v1/webhook-deliveries/{did}")  # 404 for another tenant's
    eid = delivery["endpoint_id"]
    path = f"/v1/webhook-deliveries/{did}/retry"
    _, refused = await _endpoint_write(request, ctx, eid, "retry", "POST", path, None, form.get("idempotency_key"))
    return refused or _back(eid, "#deliveries-h")
