"""Every catalog query, always filtered by tenant_id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.packages.models import activities_t, packages_t


async def lock_package(session: AsyncSession, package_id: uuid.UUID) -> None:
    """Serialise changes to one package (edits, publish, retire), so version numbers never collide."""
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"catalog:package:{package_id}"}
    )


async def lock_starter_catalog(session: AsyncSession, tenant_id: str) -> None:
    """Serialise starter-catalog loads of one tenant, so two at once load it once."""
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"catalog:starter:{tenant_id}"}
    )


def _with_latest(query: sa.Select[Any]) -> sa.Select[Any]:
    latest = (
        sa.select(sa.func.max(sa.literal_column("q.version")))
        .select_from(packages_t.alias("q"))
        .where(sa.literal_column("q.tenant_id") == packages_t.c.tenant_id, sa.literal_column("q.id") == packages_t.c.id)
        .scalar_subquery()
    )
    return query.add_columns(latest.label("latest_version"))


async def get_version(
    session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None = None
) -> sa.RowMapping | None:
    """One version (the latest when `version` is None), with `latest_version`."""
    query = _with_latest(sa.select(packages_t)).where(
        packages_t.c.tenant_id == tenant_id, packages_t.c.id == package_id
    )
    if version is None:
        query = query.order_by(packages_t.c.version.desc()).limit(1)
    else:
        query = query.where(packages_t.c.version == version)
    return (await session.execute(query)).mappings().one_or_none()


async def list_latest(
    session: AsyncSession,
    tenant_id: str,
    *,
    status: str | None,
    tier: str | None,
    currency: str | None,
    category: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[sa.RowMapping]:
    """Per package, its latest version (its latest version in `status` when given), then the other filters."""
    rows = await session.execute(
        sa.text("""
        WITH v AS (
            SELECT DISTINCT ON (p.id) p.*,
                   (SELECT max(q.version) FROM packages q WHERE q.tenant_id = p.tenant_id AND q.id = p.id)
                       AS latest_version
            FROM packages p
            WHERE p.tenant_id = :t
              AND (CAST(:status AS text) IS NULL OR p.status = :status)
              AND (CAST(:after AS uuid) IS NULL OR p.id > :after)
            ORDER BY p.id, p.version DESC
        )
        SELECT * FROM v
        WHERE (CAST(:tier AS text) IS NULL OR v.tier = :tier)
          AND (CAST(:currency AS text) IS NULL OR v.currency = :currency)
          AND (CAST(:category AS text) IS NULL OR EXISTS (
                SELECT 1 FROM activity_templates a
                WHERE a.tenant_id = v.tenant_id AND a.category = :category
                  AND a.package_id = v.id AND a.package_version = v.version))
        ORDER BY v.id
        LIMIT :n
    """),
        {
            "t": tenant_id,
            "status": status,
            "after": after,
            "tier": tier,
            "currency": currency,
            "category": category,
            "n": limit,
        },
    )
    return rows.mappings().all()


async def activities_of(
    session: AsyncSession, tenant_id: str, keys: Sequence[tuple[uuid.UUID, int]]
) -> dict[tuple[uuid.UUID, int], list[sa.RowMapping]]:
    """The activity templates of many versions in one query, in their order."""
    out: dict[tuple[uuid.UUID, int], list[sa.RowMapping]] = {k: [] for k in keys}
    if not keys:
        return out
    wanted = sa.tuple_(activities_t.c.package_id, activities_t.c.package_version).in_(list(keys))
    rows = await session.execute(
        sa.select(activities_t)
        .where(activities_t.c.tenant_id == tenant_id, wanted)
        .order_by(activities_t.c.package_id, activities_t.c.package_version, activities_t.c.position)
    )
    for row in rows.mappings():
        out[(row["package_id"], row["package_version"])].append(row)
    return out


async def insert_version(
    session: AsyncSession, package: Mapping[str, Any], activities: Sequence[Mapping[str, Any]]
) -> None:
    await session.execute(sa.insert(packages_t), [dict(package)])
    await session.execute(sa.insert(activities_t), [dict(a) for a in activities])


def _draft(tenant_id: str, package_id: uuid.UUID, version: int) -> tuple[sa.ColumnElement[bool], ...]:
    """The version's row, while it is still a draft."""
    return (
        packages_t.c.tenant_id == tenant_id,
        packages_t.c.id == package_id,
        packages_t.c.version == version,
        packages_t.c.status == "draft",
    )


async def replace_draft(
    session: AsyncSession,
    tenant_id: str,
    package_id: uuid.UUID,
    version: int,
    values: Mapping[str, Any],
    activities: Sequence[Mapping[str, Any]],
) -> None:
    """Overwrite a draft version and its activities (only drafts are ever overwritten)."""
    await session.execute(sa.update(packages_t).where(*_draft(tenant_id, package_id, version)).values(**values))
    await session.execute(
        sa.delete(activities_t).where(
            activities_t.c.tenant_id == tenant_id,
            activities_t.c.package_id == package_id,
            activities_t.c.package_version == version,
        )
    )
    await session.execute(sa.insert(activities_t), [dict(a) for a in activities])


async def mark_published(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int, at: Any) -> None:
    await session.execute(
        sa.update(packages_t)
        .where(*_draft(tenant_id, package_id, version))
        .values(status="published", published_at=at, updated_at=at)
    )


async def published_versions(session: AsyncSession, tenant_id: str, package_id: uuid.UUID) -> list[int]:
    rows = await session.scalars(
        sa.select(packages_t.c.version)
        .where(
            packages_t.c.tenant_id == tenant_id, packages_t.c.id == package_id, packages_t.c.published_at.is_not(None)
        )
        .order_by(packages_t.c.version)
    )
    return list(rows)


async def mark_retired(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, at: Any) -> None:
    """Every version of the package, its open draft included: none of them may be sold or edited again."""
    await session.execute(
        sa.update(packages_t)
        .where(packages_t.c.tenant_id == tenant_id, packages_t.c.id == package_id, packages_t.c.status != "retired")
        .values(status="retired", retired_at=at, updated_at=at)
    )


async def starter_packages(session: AsyncSession, tenant_id: str) -> dict[str, uuid.UUID]:
    """{starter_key: package id} of the starter packages this tenant already has."""
    rows = await session.execute(
        sa.select(packages_t.c.starter_key, packages_t.c.id).where(
            packages_t.c.tenant_id == tenant_id, packages_t.c.version == 1, packages_t.c.starter_key.is_not(None)
        )
    )
    return {r.starter_key: r.id for r in rows}
