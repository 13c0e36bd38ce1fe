"""Staff: the practice's people as the scheduler knows them (roles, weekly capacity), and a form to add one, so
a new tenant's plans are assigned by role from the start."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vcio_console.api import Refused
from vcio_console.render import Ctx, render
from vcio_console.signin import CheckedForm
from vcio_shared.vocabulary import ROLES

router = APIRouter()
NAV = (55, "Staff", "/staff", "staff")
ROLE_WORDS = {
    "vcio": "vCIO",
    "account_manager": "Account manager",
    "technical_account_manager": "Technical account manager",
    "engineer": "Engineer",
}


async def _page(
    request: Request, ctx: Ctx, values: dict[str, object], error: str | None = None, status: int = 200
) -> Response:
    people = await ctx.calls.every("scheduler", "/v1/staff")
    data = {"page": "staff", "people": people, "roles": ROLE_WORDS, "values": values, "error": error}
    return render(request, ctx, "staff.html", data, status=status)


@router.get("/staff", response_class=HTMLResponse)
async def staff_list(request: Request, ctx: Ctx) -> Response:
    values: dict[str, object] = {
        "name": "",
        "email": "",
        "roles": [],
        "weekly_capacity_hours": "40",
        "key": str(uuid.uuid4()),
    }
    return await _page(request, ctx, values)


@router.post("/staff", response_model=None)
async def add_staff(request: Request, ctx: Ctx, form: CheckedForm) -> Response:
    """POST /v1/staff as the user (Idempotency-Key from the form); the scheduler's refusal is shown on the form."""
    raw = await request.form()
    roles = [r for r in raw.getlist("roles") if isinstance(r, str) and r in ROLES]
    values: dict[str, object] = {
        "name": form.get("name", "").strip(),
        "email": form.get("email", "").strip(),
        "roles": roles,
        "weekly_capacity_hours": form.get("weekly_capacity_hours", "").strip(),
        "key": form.get("key", "") or str(uuid.uuid4()),
    }
    body = {
        "name": values["name"],
        "email": values["email"] or None,
        "roles": roles,
        "weekly_capacity_hours": values["weekly_capacity_hours"],
    }
    try:
        await ctx.calls.send("POST", "scheduler", "/v1/staff", body, idempotency_key=str(values["key"]))
    except Refused as exc:
        return await _page(request, ctx, values, str(exc), exc.status)
    return RedirectResponse("/staff", status_code=303)
