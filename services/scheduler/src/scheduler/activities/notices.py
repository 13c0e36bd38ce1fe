"""The staff mail, each message enqueued (vcio_shared.mail.enqueue) in the sweep's transaction under a cause that
names it once, so a sweep run twice, or by two replicas, writes nothing new:

- the weekly digest, `digest:{staff_id}:{ISO week}`: from Monday 07:00 to midnight in the tenant's time zone
  (tenant settings, UTC until set), each active staff member with an e-mail gets the open activities assigned to
  them and due that Monday to Sunday. Nobody gets an empty digest: with nothing due, nothing is sent (and a digest
  can still go later that Monday, when something is assigned). A week whose Monday the sweep never ran is skipped.
- the overdue notice, `overdue:{activity_id}`: when the overdue sweep flags an activity, to its assignee, with
  every vCIO (role `vcio`) in copy; to the vCIOs alone when the assignee is unset or has no e-mail.

Activity dates are their client's calendar dates (the agreement's time zone, as planning uses them), and the
mail says so. Both carry List-Unsubscribe `mailto:<tenant's mail_reply_to>?subject=unsubscribe` and that
Reply-To, or neither when the tenant set no address. A staff address the mail path refuses (a line break, or
not one address) skips that one message, logged; the sweep goes on."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities import repository as repo
from scheduler.activities.schemas import hours_text
from vcio_shared.mail import SenderProfile, enqueue, skip_refused

log = structlog.get_logger("scheduler.mail")

DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 7  # 07:00 in the tenant's time zone

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def human_date(value: dt.date) -> str:
    """A date as the mail writes it: Mon 4 January 2027."""
    return f"{value:%a} {value.day} {value:%B %Y}"


def clock_time(value: dt.time | None) -> str:
    return "" if value is None else f"{value:%H:%M}"


_env.filters["human_date"] = human_date
_env.filters["clock_time"] = clock_time
_env.filters["hours"] = hours_text


def _render(name: str, **ctx: Any) -> tuple[str, str]:
    """The HTML and text parts of `templates/<name>`."""
    return _env.get_template(f"{name}.html").render(**ctx), _env.get_template(f"{name}.txt").render(**ctx)


def one_line(value: str) -> str:
    """A name as it goes into a subject: every run of whitespace (a line break too) one space."""
    return " ".join(value.split())


def sender_of(tenant: Mapping[str, Any]) -> tuple[SenderProfile, str | None]:
    """The tenant's Reply-To on staff mail, and the List-Unsubscribe target (None with no address set)."""
    reply_to = tenant["mail_reply_to"]
    unsubscribe = f"mailto:{reply_to}?subject=unsubscribe" if reply_to else None
    return SenderProfile(reply_to=reply_to), unsubscribe


def digest_week(now: dt.datetime, timezone: str) -> dt.date | None:
    """The Monday whose digest is due at `now` in the tenant's zone: Monday from 07:00 to midnight, else None."""
    local = now.astimezone(ZoneInfo(timezone))
    if local.weekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
        return None
    return local.date()


def week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


async def digest_sweep(session: AsyncSession, now: dt.datetime) -> int:
    """Enqueue this week's digest for every staff member whose tenant is in its Monday window; how many were new."""
    due = [(s, week) for s in await repo.staff_with_email(session) if (week := digest_week(now, s["tenant_timezone"]))]
    if not due:
        return 0
    first = min(week for _, week in due)
    last = max(week for _, week in due) + dt.timedelta(days=6)
    by_staff: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for a in await repo.open_activities_of(session, [s["id"] for s, _ in due], first, last):
        by_staff[a["assignee_id"]].append(a)
    written = 0
    for staff, monday in due:
        sunday = monday + dt.timedelta(days=6)
        items = [
            a
            for a in by_staff[staff["id"]]
            if a["tenant_id"] == staff["tenant_id"] and monday <= a["due_date"] <= sunday
        ]
        if items and await skip_refused(
            f"digest:{staff['id']}:{week_label(monday)}", _digest(session, staff, monday, items, now)
        ):
            written += 1
    return written


async def _digest(
    session: AsyncSession, staff: Mapping[str, Any], monday: dt.date, items: Sequence[Any], now: dt.datetime
) -> uuid.UUID | None:
    sunday = monday + dt.timedelta(days=6)
    total = sum((a["effort_hours"] for a in items), Decimal(0))
    ctx = {
        "staff": staff,
        "monday": monday,
        "sunday": sunday,
        "week": week_label(monday),
        "items": items,
        "total_hours": total,
        "tenant_timezone": staff["tenant_timezone"],
    }
    html, text = _render("digest", **ctx)
    sender, unsubscribe = sender_of(staff)
    count = f"{len(items)} {'activity' if len(items) == 1 else 'activities'}"
    return await enqueue(
        session,
        tenant_id=staff["tenant_id"],
        cause=f"digest:{staff['id']}:{week_label(monday)}",
        to=[staff["email"]],
        subject=f"Your week of {human_date(monday)}: {count}, {hours_text(total)} h",
        text=text,
        html=html,
        sender=sender,
        unsubscribe=unsubscribe,
        now=now,
    )


async def overdue_notices(session: AsyncSession, activities: Sequence[Mapping[str, Any]], now: dt.datetime) -> int:
    """Enqueue the notice of each activity the overdue sweep just flagged (rows as the API shows them)."""
    if not activities:
        return 0
    tenants = sorted({a["tenant_id"] for a in activities})
    assignees = sorted({a["assignee_id"] for a in activities if a["assignee_id"] is not None})
    staff = await repo.overdue_recipients(session, tenants, assignees)
    names = await repo.staff_names(session, assignees)
    clients = await repo.client_names(session, sorted({a["agreement_id"] for a in activities}))
    written = 0
    for a in activities:
        of_tenant = [s for s in staff if s["tenant_id"] == a["tenant_id"]]
        assignee = next((s for s in of_tenant if s["id"] == a["assignee_id"]), None)
        vcios = [s for s in of_tenant if "vcio" in s["roles"] and s is not assignee]
        to, cc = ([assignee], vcios) if assignee is not None else (vcios, [])
        if not to:
            continue  # nobody with an e-mail to tell
        tenant = of_tenant[0]
        assignee_name = names.get(a["assignee_id"]) if a["assignee_id"] else None
        shown = {**a, "client_name": clients.get(a["agreement_id"], "")}
        if await skip_refused(f"overdue:{a['id']}", _overdue(session, shown, to, cc, tenant, assignee_name, now)):
            written += 1
    return written


async def _overdue(  # noqa: PLR0913 - the activity, who gets it, and the tenant's settings
    session: AsyncSession,
    activity: Mapping[str, Any],
    to: Sequence[Mapping[str, Any]],
    cc: Sequence[Mapping[str, Any]],
    tenant: Mapping[str, Any],
    assignee_name: str | None,
    now: dt.datetime,
) -> uuid.UUID | None:
    html, text = _render("overdue", a=activity, assignee_name=assignee_name)
    sender, unsubscribe = sender_of(tenant)
    return await enqueue(
        session,
        tenant_id=activity["tenant_id"],
        cause=f"overdue:{activity['id']}",
        to=[s["email"] for s in to],
        cc=[s["email"] for s in cc],
        subject=f"Overdue: {one_line(activity['name'])} for {one_line(activity['client_name'])}, "
        f"due {human_date(activity['due_date'])}",
        text=text,
        html=html,
        sender=sender,
        unsubscribe=unsubscribe,
        client_id=str(activity["client_id"]),
        now=now,
    )
