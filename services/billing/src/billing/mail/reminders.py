"""Overdue-payment reminders: an unpaid invoice is mailed on each of its tenant's `payment_reminder_days` (7 and
14 by default) after its due date, counted in the client's time zone, until it is paid, voided or written off.

The sweep mails only the latest step an invoice has reached (one that was missed while the sweep was down is
not sent late, beside the next); each step's cause (`invoice.reminder:<id>:<days>`) is mailed once."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from billing import db
from billing.mail import messages

_DUE = sa.text(
    """
    SELECT i.id, i.tenant_id, step.days
    FROM invoices i
    JOIN clients c ON c.tenant_id = i.tenant_id AND c.id = i.client_id
    LEFT JOIN tenant_settings s ON s.tenant_id = i.tenant_id
    CROSS JOIN LATERAL (
        SELECT max(d) AS days FROM unnest(COALESCE(s.payment_reminder_days, '{7,14}'::integer[])) AS d
        WHERE i.due_date + d <= (CAST(:now AS timestamptz) AT TIME ZONE COALESCE(NULLIF(c.timezone, ''), 'UTC'))::date
    ) step
    WHERE i.status = 'issued' AND i.total > i.amount_paid + i.amount_credited
      AND i.due_date < CAST(:now AS timestamptz)::date AND step.days IS NOT NULL AND c.email <> ''
      AND NOT EXISTS (
        SELECT 1 FROM mail m
        WHERE m.tenant_id = i.tenant_id AND m.cause = 'invoice.reminder:' || i.id::text || ':' || step.days::text)
    ORDER BY i.due_date, i.id
    LIMIT :limit
    """
)


async def due(session: AsyncSession, now: dt.datetime, limit: int = 500) -> Sequence[RowMapping]:
    """Unpaid invoices whose latest reminder step has come and has not been mailed: (id, tenant_id, days)."""
    return await db.rows(session, _DUE, {"now": now, "limit": limit})


async def send_reminders(session: AsyncSession, now: dt.datetime) -> dict[str, Any]:
    """Enqueue each due reminder in the sweep's transaction; returns how many were written."""
    written = 0
    for row in await due(session, now):
        mail_id = await messages.side_effect(
            "reminder",
            functools.partial(messages.reminder_mail, session, row["tenant_id"], row["id"], row["days"], now=now),
        )
        written += mail_id is not None
    return {"reminders": written}
