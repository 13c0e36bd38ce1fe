"""Calendar queries: the activities behind a feed, and subscription tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

_FEED = (
    "SELECT a.id, a.name, a.category, a.role, a.deliverable, a.due_date, a.scheduled_time, a.status, a.effort_hours, "
    "a.outcome, a.updated_at, a.created_at, ag.timezone, ag.client_name, s.name AS assignee_name "
    "FROM activities a JOIN agreements ag ON ag.id = a.agreement_id AND ag.tenant_id = a.tenant_id "
    "LEFT JOIN staff_members s ON s.id = a.assignee_id AND s.tenant_id = a.tenant_id "
)


async def client_name(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> tuple[str, str] | None:
    row = (
        await session.execute(
            sa.text(
                "SELECT client_name, timezone FROM agreements WHERE tenant_id = :t AND client_id = :c "
                "ORDER BY created_at DESC LIMIT 1"
            ),
            {"t": tenant_id, "c": client_id},
        )
    ).first()
    return (row.client_name, row.timezone) if row else None


async def client_feed(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, since: dt.date, limit: int
) -> list[Any]:
    return list(
        (
            await session.execute(
                sa.text(
                    _FEED
                    + "WHERE a.tenant_id = :t AND a.client_id = :c AND a.due_date >= :since ORDER BY a.due_date, a.id "
                    "LIMIT :n"
                ),
                {"t": tenant_id, "c": client_id, "since": since, "n": limit},
            )
        )
        .mappings()
        .all()
    )


async def staff_feed(
    session: AsyncSession, tenant_id: str, staff_id: uuid.UUID, since: dt.date, limit: int
) -> list[Any]:
    return list(
        (
            await session.execute(
                sa.text(
                    _FEED + "WHERE a.tenant_id = :t AND a.assignee_id = :s AND a.due_date >= :since "
                    "ORDER BY a.due_date, a.id LIMIT :n"
                ),
                {"t": tenant_id, "s": staff_id, "since": since, "n": limit},
            )
        )
        .mappings()
        .all()
    )


async def staff_name(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID) -> str | None:
    return await session.scalar(
        sa.text("SELECT name FROM staff_members WHERE tenant_id = :t AND id = :id"), {"t": tenant_id, "id": staff_id}
    )


async def insert_subscription(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(
        sa.text(
            "INSERT INTO calendar_subscriptions (id, tenant_id, kind, subject_id, token_sha256, created_at) "
            "VALUES (:id, :tenant_id, :kind, :subject_id, :token_sha256, :created_at)"
        ),
        row,
    )


async def subscription_by_token(session: AsyncSession, token_sha256: str) -> Any:
    """The one lookup not filtered by tenant: the token itself names the tenant (it is the credential)."""
    return (
        (
            await session.execute(
                sa.text("SELECT * FROM calendar_subscriptions WHERE token_sha256 = :h AND revoked_at IS NULL"),
                {"h": token_sha256},
            )
        )
        .mappings()
        .first()
    )


async def get_subscription(session: AsyncSession, tenant_id: str, sub_id: uuid.UUID) -> Any:
    return (
        (
            await session.execute(
                sa.text("SELECT * FROM calendar_subscriptions WHERE tenant_id = :t AND id = :id"),
                {"t": tenant_id, "id": sub_id},
            )
        )
        .mappings()
        .first()
    )


async def list_subscriptions(session: AsyncSession, tenant_id: str, after: uuid.UUID | None, limit: int) -> list[Any]:
    return list(
        (
            await session.execute(
                sa.text(
                    "SELECT * FROM calendar_subscriptions WHERE tenant_id = :t AND (CAST(:after AS "
                    "uuid) IS NULL OR id > :after) "
                    "ORDER BY id LIMIT :n"
                ),
                {"t": tenant_id, "after": after, "n": limit},
            )
        )
        .mappings()
        .all()
    )


async def revoke(session: AsyncSession, tenant_id: str, sub_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(
        sa.text(
            "UPDATE calendar_subscriptions SET revoked_at = :now WHERE tenant_id = :t AND id = :id "
            "AND revoked_at IS NULL"
        ),
        {"now": now, "t": tenant_id, "id": sub_id},
    )
