"""The audit log: who changed what, when, in which tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from fastapi.encoders import jsonable_encoder
from sqlalchemy.ext.asyncio import AsyncSession

from vcio_shared.auth import Principal
from vcio_shared.ids import uuid7

_INSERT = sa.text(
    "INSERT INTO audit_log (id, tenant_id, actor, action, entity_type, entity_id, changes, at) "
    "VALUES (:id, :t, :a, :act, :et, :eid, CAST(:c AS jsonb), :at)"
)
_INSERT_MANY = sa.text(
    "INSERT INTO audit_log (id, tenant_id, actor, action, entity_type, entity_id, changes, at) "
    "SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:t AS text[]), CAST(:a AS text[]), CAST(:act AS text[]), "
    "CAST(:et AS text[]), CAST(:eid AS text[]), CAST(CAST(:c AS text[]) AS jsonb[]), "
    "CAST(:at AS timestamptz[]))"
)
_COLUMNS = ("id", "t", "a", "act", "et", "eid", "c", "at")


async def record(
    session: AsyncSession,
    actor: Principal | str,
    action: str,
    entity_type: str,
    entity_id: Any,
    changes: Mapping[str, Any] | None = None,
    *,
    tenant_id: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Write one audit row in the caller's transaction."""
    tenant: str | None
    if isinstance(actor, Principal):
        sub, tenant = actor.sub, actor.tenant_id
    else:
        sub, tenant = actor, tenant_id
    if tenant is None:
        raise ValueError("an audit row needs a tenant")
    await session.execute(
        _INSERT,
        {
            "id": uuid7(),
            "t": tenant,
            "a": sub,
            "act": action,
            "et": entity_type,
            "eid": str(entity_id),
            "c": orjson.dumps(jsonable_encoder(dict(changes or {}))).decode(),
            "at": at or dt.datetime.now(dt.UTC),
        },
    )


def entry(
    actor: str,
    action: str,
    entity_type: str,
    entity_id: Any,
    changes: Mapping[str, Any],
    *,
    tenant_id: str,
    at: dt.datetime,
) -> dict[str, Any]:
    """One row for `record_many`. `changes` must be what orjson encodes as is (str, int, UUID, datetime...):
    a bulk writer is a hot path and skips `jsonable_encoder`."""
    return {
        "id": uuid7(),
        "t": tenant_id,
        "a": actor,
        "act": action,
        "et": entity_type,
        "eid": str(entity_id),
        "c": orjson.dumps(changes).decode(),
        "at": at,
    }


async def record_many(session: AsyncSession, entries: Sequence[Mapping[str, Any]]) -> None:
    """Write the rows `entry` built in one statement (one round trip, whatever their number)."""
    if not entries:
        return
    await session.execute(_INSERT_MANY, {k: [e[k] for e in entries] for k in _COLUMNS})


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """`{field: {"from": old, "to": new}}` for the fields that changed."""
    return {k: {"from": before.get(k), "to": v} for k, v in after.items() if before.get(k) != v}
