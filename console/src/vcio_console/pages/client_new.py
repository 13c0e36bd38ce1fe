"""Add a client: the proposals API's client, made from a form (a double submit makes one: its Idempotency-Key is
drawn when the form is shown). Its own module, named to sort before `clients`, so /clients/new is routed before
/clients/{client_id}."""

from __future__ import annotations

import uuid
import zoneinfo
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vcio_console.api import Refused
from vcio_console.render import Ctx, render
from vcio_console.signin import CheckedForm

router = APIRouter()
FIELDS = ("name", "email", "timezone", "currency", "tax_rate", "payment_terms_days", "idempotency_key")
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "JPY")


@cache
def time_zones() -> list[str]:
    """The IANA zones the services accept, for the form's suggestions."""
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def _form(request: Request, ctx: Ctx, values: dict[str, str], error: str | None = None, status: int = 200) -> Response:
    data = {"page": "clients", "values": values, "zones": time_zones(), "currencies": CURRENCIES, "error": error}
    return render(request, ctx, "client_new.html", data, status=status)


@router.get("/clients/new", response_class=HTMLResponse)
async def new_client(request: Request, ctx: Ctx) -> Response:
    values = dict.fromkeys(FIELDS, "") | {
        "timezone": "America/New_York",
        "currency": "USD",
        "tax_rate": "0.00",
        "payment_terms_days": "30",
        "idempotency_key": str(uuid.uuid4()),
    }
    return _form(request, ctx, values)


@router.post("/clients/new", response_model=None)
async def create_client(request: Request, ctx: Ctx, form: CheckedForm) -> Response:
    """POST /v1/clients as the user; the service's refusal (a bad address, an unknown zone) is shown on the form."""
    values = {k: form.get(k, "").strip() for k in FIELDS}
    values["idempotency_key"] = values["idempotency_key"] or str(uuid.uuid4())
    body: dict[str, object] = {k: values[k] for k in ("name", "email", "timezone", "currency", "tax_rate")}
    if values["payment_terms_days"]:
        if not values["payment_terms_days"].isdigit():
            return _form(request, ctx, values, "Payment terms: a whole number of days.", 422)
        body["payment_terms_days"] = int(values["payment_terms_days"])
    try:
        made = await ctx.calls.send("POST", "proposals", "/v1/clients", body, idempotency_key=values["idempotency_key"])
    except Refused as exc:
        return _form(request, ctx, values, str(exc), exc.status)
    return RedirectResponse(f"/clients/{made['id']}", status_code=303)
