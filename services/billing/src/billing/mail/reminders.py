"""Overdue-payment reminders: an unpaid invoice is mailed on each of its tenant's `payment_reminder_days` (7 and
14 by default) after its due date, counted in the client's time zone, until it is paid, voided or written off.

The sweep mails only the latest step an invoice has reached, and only within GRACE_DAYS of its day (a step missed
while the sweep was down is not sent beside the next, and the upgrade that brings mail does not remind every
long-overdue invoice at once); each step's cause (`invoice.reminder:<id>:<days>`) is mailed once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from billing import db
from billing.mail import messages
from vcio_shared.mail import skip_refused

_DUE = sa.text(
    """
    SELECT i.id, i.tenant_id, step.days, local.today - i.due_date AS overdue
    FROM invoices i
    JOIN clients c ON c.tenant_id = i.tenant_id AND c.id = i.client_id
    LEFT JOIN tenant_settings s ON s.tenant_id = i.tenant_id
    CROSS JOIN LATERAL (
        SELECT (CAST(:now AS timestamptz) AT TIME ZONE COALESCE(NULLIF(c.timezone, ''), 'UTC'))::date AS today
    ) local
    CROSS JOIN LATERAL (
        SELECT max(d) AS days FROM unnest(COALESCE(s.payment_reminder_days, '{7,14}'::integer[])) AS d
        WHERE i.due_date + d <= local.today
    ) step
    WHERE i.status = 'issued' AND i.total > i.amount_paid + i.amount_credited
      AND i.due_date < CAST(:now AS timestamptz)::date AND step.days IS NOT NULL AND c.email <> ''
      AND local.today < i.due_date + step.days + CAST(:grace AS integer)
      AND NOT EXISTS (
        SELECT 1 FROM mail m
        WHERE m.tenant_id = i.tenant_id AND m.cause = 'invoice.reminder:' || i.id::text || ':' || step.days::text)
    ORDER BY i.due_date, i.id
    LIMIT :limit
    """
)
GRACE_DAYS = 7  # a step not mailed within a week of its day (the sweep down, an upgrade) is not mailed late


async def due(session: AsyncSession, now: dt.datetime, limit: int = 500) -> Sequence[RowMapping]:
    """Unpaid invoices whose latest reminder step has come (within GRACE_DAYS) and has not been mailed:
    (id, tenant_id, days: the step, overdue: the days since the due date, the client's)."""
    return await db.rows(session, _DUE, {"now": now, "limit": limit, "grace": GRACE_DAYS})


async def send_reminders(session: AsyncSession, now: dt.datetime) -> dict[str, Any]:
    """Enqueue each due reminder in the sweep's transaction; returns how many were written."""
    written = 0
    for row in await due(session, now):
        reminder = messages.reminder_mail(session, row["tenant_id"], row["id"], row["days"], row["overdue"], now=now)
        mail_id = await skip_refused("reminder", reminder)
        written += mail_id is not None
    return {"reminders": written}
