"""Every SQL query on agreements, clients, adjustments and MRR movements; always filtered by tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing import db
from billing.agreements.models import Agreement, AgreementRenewal, Client, MrrMovement, PendingAdjustment
from billing.tenants.models import TenantSettings
from vcio_shared import rows
from vcio_shared.ids import uuid7
from vcio_shared.pages import keyset_query

A: sa.Table = Agreement.__table__  # type: ignore[attr-defined]
S = TenantSettings.__table__.alias("s")  # type: ignore[attr-defined]  # the name _LOCAL_TODAY uses
C: sa.Table = Client.__table__  # type: ignore[attr-defined]
P: sa.Table = PendingAdjustment.__table__  # type: ignore[attr-defined]
M: sa.Table = MrrMovement.__table__  # type: ignore[attr-defined]
R: sa.Table = AgreementRenewal.__table__  # type: ignore[attr-defined]

# The agreement's client's name as billing knows it (NULL for a client it has not heard of): what answers show.
CLIENT_NAME = (
    sa.select(C.c.name)
    .where(C.c.tenant_id == A.c.tenant_id, C.c.id == A.c.client_id)
    .scalar_subquery()
    .label("client_name")
)


async def client_owner(session: AsyncSession, client_id: uuid.UUID) -> str | None:
    """The tenant a client id belongs to (any tenant): consumers refuse an event that claims another's row."""
    return await session.scalar(sa.select(C.c.tenant_id).where(C.c.id == client_id))


async def upsert_client(session: AsyncSession, tenant_id: str, values: Mapping[str, Any]) -> None:
    row = {"tenant_id": tenant_id, **values}
    stmt = insert(C).values(row)
    update: dict[str, Any] = {k: stmt.excluded[k] for k in values if k != "id"}
    update["updated_at"] = sa.func.now()
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[C.c.id], set_=update, where=C.c.tenant_id == tenant_id)
    )


async def get_client(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> RowMapping | None:
    return await db.first(session, rows.one(C, tenant_id, client_id))


async def client_names(session: AsyncSession, tenant_id: str, client_ids: Sequence[uuid.UUID]) -> dict[str, str]:
    """The names of those of the tenant's clients billing has heard of, by id (as a string)."""
    if not client_ids:
        return {}
    ids = sa.cast(sorted(set(client_ids)), pg.ARRAY(pg.UUID(as_uuid=True)))  # one parameter, however many
    query = sa.select(C.c.id, C.c.name).where(C.c.tenant_id == tenant_id, C.c.id == sa.func.any(ids))
    return {str(r["id"]): r["name"] for r in await db.rows(session, query)}


async def proposal_owner(session: AsyncSession, proposal_id: uuid.UUID) -> str | None:
    return await session.scalar(sa.select(A.c.tenant_id).where(A.c.proposal_id == proposal_id).limit(1))


async def insert_agreement(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """Insert unless this tenant already has an agreement for the proposal (the unique key decides)."""
    stmt = insert(A).values(dict(values)).on_conflict_do_nothing(constraint="uq_agreements_tenant_id_proposal_id")
    result = await session.execute(stmt.returning(A.c.id))
    return result.first() is not None


async def get(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, *, for_update: bool = False
) -> RowMapping | None:
    """The agreement's row with its client's `client_name`."""
    query = rows.one(A, tenant_id, agreement_id, for_update=for_update).add_columns(CLIENT_NAME)
    return await db.first(session, query)


async def list_page(
    session: AsyncSession,
    tenant_id: str,
    *,
    after: uuid.UUID | None,
    limit: int,
    ends_after: dt.date | None = None,
    ends_before: dt.date | None = None,
    **filters: uuid.UUID | str | None,
) -> Sequence[RowMapping]:
    """A keyset page of the tenant's agreements, each with its `client_name`; `filters` are columns (client_id,
    proposal_id, status), None meaning any; `ends_after <= end_date < ends_before` when given (the current term's
    end: renewals due)."""
    query = keyset_query(A, tenant_id, filters, after=after, limit=limit).add_columns(CLIENT_NAME)
    if ends_after is not None:
        query = query.where(A.c.end_date >= ends_after)
    if ends_before is not None:
        query = query.where(A.c.end_date < ends_before)
    return await db.rows(session, query)


async def update(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(rows.update_one(A, tenant_id, agreement_id, dict(values)))


async def insert_renewal(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """One row per renewed term end: its unique keys refuse a second renewal of the same end (a 409)."""
    await session.execute(sa.insert(R).values(**values))


async def add_adjustments(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(sa.insert(P), [dict(r) for r in rows])


async def open_adjustments(
    session: AsyncSession, tenant_id: str, agreement_ids: Sequence[uuid.UUID]
) -> Sequence[RowMapping]:
    if not agreement_ids:
        return []
    return await db.rows(
        session,
        sa.select(P)
        .where(
            P.c.tenant_id == tenant_id,
            P.c.agreement_id == sa.func.any(sa.cast(list(agreement_ids), pg.ARRAY(pg.UUID(as_uuid=True)))),
            P.c.invoice_id.is_(None),
            P.c.credit_note_id.is_(None),
        )
        .order_by(P.c.id),
    )


async def settle_adjustments(
    session: AsyncSession,
    tenant_id: str,
    ids: Sequence[uuid.UUID],
    *,
    invoice_id: uuid.UUID | None = None,
    credit_note_id: uuid.UUID | None = None,
) -> None:
    if ids:
        await session.execute(
            sa.update(P)
            .where(P.c.tenant_id == tenant_id, P.c.id.in_(ids))
            .values(invoice_id=invoice_id, credit_note_id=credit_note_id)
        )


async def settle_adjustments_bulk(
    session: AsyncSession, tenant_id: str, pairs: Sequence[tuple[uuid.UUID, uuid.UUID | str]]
) -> None:
    """(adjustment id, invoice id) pairs, in one statement."""
    if pairs:
        await session.execute(
            sa.text(
                "UPDATE pending_adjustments p SET invoice_id = u.inv FROM unnest(CAST(:ids AS uuid[]), "
                "CAST(:invs AS uuid[])) AS u(id, inv) WHERE p.id = u.id AND p.tenant_id = :t"
            ),
            {"ids": [p[0] for p in pairs], "invs": [p[1] for p in pairs], "t": tenant_id},
        )


async def add_movement(
    session: AsyncSession,
    tenant_id: str,
    agreement_id: uuid.UUID,
    currency: str,
    on_date: dt.date,
    kind: str,
    amount: int,
) -> None:
    await session.execute(
        sa.insert(M).values(
            id=uuid7(),
            tenant_id=tenant_id,
            agreement_id=agreement_id,
            currency=currency,
            on_date=on_date,
            kind=kind,
            amount=amount,
        )
    )


async def set_churn(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, currency: str, on_date: dt.date, amount: int
) -> None:
    """The agreement's one scheduled churn: when it ends (or is cancelled), its MRR goes."""
    stmt = insert(M).values(
        id=uuid7(),
        tenant_id=tenant_id,
        agreement_id=agreement_id,
        currency=currency,
        on_date=on_date,
        kind="churn",
        amount=amount,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[M.c.agreement_id],
            index_where=sa.text("kind = 'churn'"),
            set_={"on_date": on_date, "amount": amount},
        )
    )


# The date it is now in the agreement's tenant's time zone (the one its scheduled billing runs on), for queries
# that join tenant_settings as `s` (a tenant without settings has none: UTC then) and bind `now`.
_LOCAL_TODAY = "(CAST(:now AS timestamptz) AT TIME ZONE COALESCE(s.timezone, 'UTC'))::date"


async def renewal_notices_due(session: AsyncSession, now: dt.datetime, default_days: int) -> Sequence[RowMapping]:
    """Mark and return active agreements whose end is within the tenant's notice days, not yet noticed."""
    return await db.rows(
        session,
        sa.text(
            "UPDATE agreements a SET renewal_notice_for = a.end_date, updated_at = now() "
            "FROM (SELECT a2.id FROM agreements a2 LEFT JOIN tenant_settings s ON s.tenant_id = a2.tenant_id "
            "      WHERE a2.status = 'active' AND a2.renewal_notice_for IS DISTINCT FROM a2.end_date "
            f"      AND a2.end_date - COALESCE(s.renewal_notice_days, :d) <= {_LOCAL_TODAY} LIMIT 5000) due "
            "WHERE a.id = due.id RETURNING a.id, a.tenant_id, a.client_id, a.end_date, a.auto_renew"
        ),
        {"now": now, "d": default_days},
    )


async def ended(session: AsyncSession, now: dt.datetime, limit: int = 1000) -> Sequence[RowMapping]:
    """Active agreements whose term is over in their tenant's time zone (renewed or expired by the sweep)."""
    over = sa.text(f"agreements.end_date <= {_LOCAL_TODAY}").bindparams(
        sa.bindparam("now", now, type_=sa.DateTime(timezone=True))
    )
    return await db.rows(
        session,
        sa.select(
            A,
            # the tenant's date, for the renewal rule (service.renewal_refusal)
            sa.cast(
                sa.func.timezone(
                    sa.func.coalesce(S.c.timezone, "UTC"),
                    sa.bindparam("now_", now, type_=sa.DateTime(timezone=True)),
                ),
                sa.Date,
            ).label("local_today"),
        )
        .select_from(A.outerjoin(S, S.c.tenant_id == A.c.tenant_id))
        .where(A.c.status == "active", over)
        .order_by(A.c.id)
        .limit(limit)
        .with_for_update(of=A, skip_locked=True),
    )
