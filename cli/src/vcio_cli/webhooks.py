"""`vcio webhooks list|deliveries|replay`: a tenant's webhook endpoints and what was sent to them."""

from __future__ import annotations

import datetime as dt
import enum
import re
import sys
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from vcio_cli.client import client, fail_on_problem

app = typer.Typer(help="Webhook endpoints and their deliveries (the integrations service).", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 200)  # piped output keeps ids and URLs whole
_AGO = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
PAGE = 200  # the largest page a list answers


class Status(enum.StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


def _tenant() -> Any:
    return typer.Option(..., "--tenant", help="the MSP (tenant_id) whose endpoints these are")


def _items(http: httpx.Client, path: str, params: dict[str, str], limit: int) -> list[dict[str, Any]]:
    """Up to `limit` items of a list, following `next_cursor` from page to page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while len(items) < limit:
        page = {**params, "limit": str(min(PAGE, limit - len(items)))}
        if cursor:
            page["cursor"] = cursor
        r = http.get(path, params=page)
        fail_on_problem(r)
        body = r.json()
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            break
    return items


def since_time(value: str, now: dt.datetime | None = None) -> str:
    """`--since`: an RFC 3339 time with its offset, a date (midnight UTC), or an age such as 90m, 6h or 2d."""
    now = now or dt.datetime.now(dt.UTC)
    if ago := _AGO.fullmatch(value.strip()):
        moment = now - dt.timedelta(**{_UNITS[ago[2]]: int(ago[1])})
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        moment = dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time(), dt.UTC)
    else:
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise typer.BadParameter("use a time such as 2027-01-31T09:00:00+01:00, a date, or 6h / 2d") from None
        if moment.tzinfo is None:
            raise typer.BadParameter("give the time's offset (Z or +01:00): a bare time is ambiguous")
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@app.command("list")
def list_endpoints(
    tenant: str = _tenant(), limit: int = typer.Option(200, min=1, help="show at most this many")
) -> None:
    """A tenant's webhook endpoints (never their secrets)."""
    with client("integrations", tenant) as http:
        endpoints = _items(http, "/v1/webhook-endpoints", {}, limit)
    table = Table("id", "url", "event types", "client", "enabled", "created", "description")
    for item in endpoints:
        table.add_row(
            item["id"],
            item["url"],
            ", ".join(item.get("event_types") or []) or "(all)",
            item.get("client_id") or "-",
            "yes" if item["enabled"] else "[red]no[/red]",
            item["created_at"],
            item.get("description") or "",
        )
    console.print(table)


def _last_answer(attempts: list[dict[str, Any]]) -> str:
    """The last attempt's HTTP status, or why there was none (a timeout, a refused connection, an address
    the SSRF guard refused)."""
    if not attempts:
        return "-"
    last = attempts[-1]
    if last.get("status_code") is not None:
        return str(last["status_code"])
    return (last.get("error") or "-")[:60]


@app.command("deliveries")
def deliveries(
    endpoint_id: str = typer.Argument(..., help="the endpoint's id (see `vcio webhooks list`)"),
    tenant: str = _tenant(),
    status: Status | None = typer.Option(None, "--status", help="only deliveries in this state"),
    event_type: str | None = typer.Option(None, "--event-type", help="only this event type"),
    limit: int = typer.Option(50, min=1, help="show at most this many"),
) -> None:
    """What was sent to one endpoint: each delivery, its attempts and its last answer."""
    params = {"status": status.value} if status else {}
    if event_type:
        params["event_type"] = event_type
    with client("integrations", tenant) as http:
        items = _items(http, f"/v1/webhook-endpoints/{endpoint_id}/deliveries", params, limit)
    table = Table("id", "event type", "event id", "status", "attempts", "last answer", "next attempt")
    colour = {"delivered": "green", "failed": "red"}
    for item in items:
        shade = colour.get(item["status"])
        table.add_row(
            item["id"],
            item["event_type"],
            item["event_id"],
            f"[{shade}]{item['status']}[/{shade}]" if shade else item["status"],
            str(len(item["attempts"])),
            _last_answer(item["attempts"]),
            item.get("next_attempt_at") or "-",
        )
    console.print(table)


@app.command("replay")
def replay(
    endpoint_id: str = typer.Argument(..., help="the endpoint's id (see `vcio webhooks list`)"),
    since: str = typer.Option(..., "--since", help="RFC 3339 time, a date (midnight UTC), or an age: 6h, 2d"),
    tenant: str = _tenant(),
) -> None:
    """Send again every matching event since a time, read back from the streams (same webhook-id as before)."""
    start = since_time(since)
    with client("integrations", tenant) as http:
        r = http.post(f"/v1/webhook-endpoints/{endpoint_id}/replay", json={"since": start})
        fail_on_problem(r)
    answer = r.json()
    console.print(
        f"{answer['queued']} event(s) since {answer['since']} queued again for endpoint {answer['endpoint_id']}",
        highlight=False,
    )
