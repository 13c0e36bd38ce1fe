"""iCalendar feeds (RFC 5545, via `icalendar`). UIDs are the activity ids, so a refreshed feed updates events
in place instead of duplicating them; DTSTAMP is the activity's last change, so an unchanged feed is identical."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.calendars import repository as repo
from scheduler.calendars.schemas import SubscriptionCreate, SubscriptionCreatedOut, SubscriptionOut
from vcio_shared.audit import record
from vcio_shared.auth import Principal
from vcio_shared.errors import NotFound
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

UID_DOMAIN = "scheduler.vcio"
FEED_PAST_DAYS = 365
FEED_LIMIT = 5000
_STATUS = {
    "planned": "TENTATIVE",
    "scheduled": "CONFIRMED",
    "completed": "CONFIRMED",
    "skipped": "CANCELLED",
    "cancelled": "CANCELLED",
}


def _event(row: Any, *, with_client: bool) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", f"{row['id']}@{UID_DOMAIN}")
    ev.add("dtstamp", row["updated_at"].astimezone(dt.UTC))
    ev.add("last-modified", row["updated_at"].astimezone(dt.UTC))
    ev.add("created", row["created_at"].astimezone(dt.UTC))
    summary = f"{row['name']} — {row['client_name']}" if with_client else row["name"]
    ev.add("summary", summary)
    if row["scheduled_time"] is not None:
        start = dt.datetime.combine(row["due_date"], row["scheduled_time"], tzinfo=ZoneInfo(row["timezone"]))
        minutes = max(30, int(float(row["effort_hours"]) * 60))
        ev.add("dtstart", start)
        ev.add("dtend", start + dt.timedelta(minutes=minutes))
    else:
        ev.add("dtstart", row["due_date"])
        ev.add("dtend", row["due_date"] + dt.timedelta(days=1))
        ev.add("transp", "TRANSPARENT")
    ev.add("status", _STATUS[row["status"]])
    ev.add("categories", [row["category"]])
    lines = [f"Status: {row['status']}", f"Role: {row['role']}"]
    if row["assignee_name"]:
        lines.append(f"Assignee: {row['assignee_name']}")
    if row["deliverable"]:
        lines.append(f"Deliverable: {row['deliverable']}")
    if row["outcome"]:
        lines.append(f"Outcome: {row['outcome']}")
    ev.add("description", "\n".join(lines))
    return ev


def render(name: str, timezone: str, rows: list[Any], *, with_client: bool) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//vcio//scheduler//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", timezone)
    for row in rows:
        cal.add_component(_event(row, with_client=with_client))
    cal.add_missing_timezones()
    return cal.to_ical()


async def client_calendar(session: AsyncSession, tenant_id: str, client_id: uuid.UUID, today: dt.date) -> bytes:
    found = await repo.client_name(session, tenant_id, client_id)
    if found is None:
        raise NotFound("no such client")
    name, timezone = found
    rows = await repo.client_feed(session, tenant_id, client_id, today - dt.timedelta(days=FEED_PAST_DAYS), FEED_LIMIT)
    return render(f"{name} — vCIO delivery plan", timezone, rows, with_client=False)


async def staff_calendar(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID, today: dt.date) -> bytes:
    name = await repo.staff_name(session, tenant_id, staff_id)
    if name is None:
        raise NotFound("no such staff member")
    rows = await repo.staff_feed(session, tenant_id, staff_id, today - dt.timedelta(days=FEED_PAST_DAYS), FEED_LIMIT)
    return render(f"{name} — vCIO activities", "UTC", rows, with_client=True)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def subscribe(
    session: AsyncSession, principal: Principal, body: SubscriptionCreate, base_url: str, now: dt.datetime
) -> SubscriptionCreatedOut:
    if body.kind == "client":
        if await repo.client_name(session, principal.tenant_id, body.subject_id) is None:
            raise NotFound("no such client")
    elif await repo.staff_name(session, principal.tenant_id, body.subject_id) is None:
        raise NotFound("no such staff member")
    token = secrets.token_urlsafe(32)
    sub_id = uuid7()
    row = {**body.model_dump(), "id": sub_id, "tenant_id": principal.tenant_id, "created_at": now}
    await repo.insert_subscription(session, {**row, "token_sha256": _hash(token)})
    await record(
        session, principal, "calendar_subscription.created", "calendar_subscription", sub_id, body.model_dump()
    )
    url = f"{base_url.rstrip('/')}/calendars/{token}.ics"
    return SubscriptionCreatedOut.model_validate({**row, "revoked_at": None, "url": url})


async def feed_by_token(session: AsyncSession, token: str, today: dt.date) -> bytes:
    if not 20 <= len(token) <= 100:
        raise NotFound("no such calendar")
    sub = await repo.subscription_by_token(session, _hash(token))
    if sub is None:
        raise NotFound("no such calendar")
    if sub["kind"] == "client":
        return await client_calendar(session, sub["tenant_id"], sub["subject_id"], today)
    return await staff_calendar(session, sub["tenant_id"], sub["subject_id"], today)


async def list_subscriptions(session: AsyncSession, tenant_id: str, page: PageParams) -> Page[SubscriptionOut]:
    rows = await repo.list_subscriptions(session, tenant_id, page.after, page.limit)
    return page_of([SubscriptionOut.model_validate(dict(r)) for r in rows], page.limit)


async def revoke(session: AsyncSession, principal: Principal, sub_id: uuid.UUID, now: dt.datetime) -> None:
    if await repo.get_subscription(session, principal.tenant_id, sub_id) is None:
        raise NotFound("no such calendar subscription")
    await repo.revoke(session, principal.tenant_id, sub_id, now)
    await record(session, principal, "calendar_subscription.revoked", "calendar_subscription", sub_id, {})
