"""Templates, and what every page's template is given: the user, their CSRF token, the page it is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from vcio_console.api import Calls
from vcio_console.signin import CSRF_FIELD, CurrentUser, User

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescape on for .html: client names are escaped
STATUS_WORDS = {"planned": "upcoming", "scheduled": "upcoming"}


def money(amount: str, currency: str) -> str:
    """A decimal string as the pages show it: thousands separated, the currency after ("1,500.00 USD")."""
    places = len(amount.partition(".")[2])  # the API gives the currency's minor digits: keep them
    return f"{Decimal(amount):,.{places}f} {currency}"


def last_day(end: str) -> str:
    """The last day of a half-open period [start, end): what people read as its end."""
    return (dt.date.fromisoformat(end) - dt.timedelta(days=1)).isoformat()


templates.env.filters["money"] = money
templates.env.filters["last_day"] = last_day


@dataclass(frozen=True)
class Context:
    """One request's signed-in user and their API calls."""

    user: User
    calls: Calls


async def context(request: Request, user: CurrentUser) -> Context:
    return Context(user=user, calls=request.app.state.api.as_user(user))


Ctx = Annotated[Context, Depends(context)]


def render(request: Request, ctx: Context | None, name: str, data: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A page, or only its `#main` fragment for an htmx request that asks for it."""
    values = {
        "user": ctx.user if ctx else None,
        "csrf_field": CSRF_FIELD,
        "fragment": request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "main",
        **data,
    }
    response = templates.TemplateResponse(request, name, values, status_code=status)
    response.headers["cache-control"] = "no-store"  # pages hold one tenant's data
    return response
