"""Renewals: the one renewal rule, renewing a term (by hand or by the sweep), notices before the end, expiry."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as repo
from billing.agreements.schemas import AgreementOut
from billing.agreements.service import SERVICE, client_brief, event_data, get_agreement, locked
from billing.mail import messages
from billing.tenants import repository as tenants_repo
from vcio_shared import audit, events
from vcio_shared.auth import Principal
from vcio_shared.dates import term_end
from vcio_shared.errors import Conflict
from vcio_shared.ids import uuid7
from vcio_shared.mail import skip_refused

SWEEP = "renewal-sweep"  # the actor the sweep records


def renewal_refusal(row: Mapping[Any, Any], local_today: dt.date) -> str | None:
    """The one renewal rule, for the manual route and the sweep alike (None: it may renew now). A term end is
    renewed once: the renewal starts the next term at that end, and that term can only be renewed in its turn
    once it has started. Only an active agreement with `auto_renew` on renews."""
    if row["status"] != "active":
        return f"this agreement is {row['status']}"
    if not row["auto_renew"]:
        return "auto_renew is off for this agreement: it expires at the end of its term (set auto_renew to renew it)"
    if row["term_start"] > local_today:
        if row["term_number"] > 1:
            return (
                f"the term ending {row['term_start']} is already renewed; the current term "
                f"({row['term_start']} to {row['end_date']}) starts on {row['term_start']} and can be renewed from then"
            )
        return f"the first term has not started yet: it starts on {row['term_start']}"
    return None


async def _announce(
    session: AsyncSession, tenant_id: str, row: Mapping[Any, Any], new_end: dt.date, out: AgreementOut
) -> None:
    """`agreement.renewed`: the new term and the client, for the scheduler to plan it."""
    data = event_data(out)
    client = await repo.get_client(session, tenant_id, row["client_id"])
    previous_end = row["end_date"]
    payload = {
        "agreement_id": data["id"],
        "client_id": data["client_id"],
        "previous_end_date": previous_end.isoformat(),
        "start_date": previous_end.isoformat(),
        "end_date": new_end.isoformat(),
        "term_months": row["term_months"],
        "client": client_brief(client, row["client_id"]),
        "activities": data["activities"],
    }
    await events.emit(session, SERVICE, "vcio.billing.agreement.renewed", tenant_id, payload, subject=data["id"])


async def renew(
    session: AsyncSession,
    actor: Principal | str,
    tenant_id: str,
    row: Mapping[Any, Any],
    *,
    local_today: dt.date,
    now: dt.datetime,
) -> AgreementOut:
    """Start a new term where the current one ends; billing carries on from there. `row` is locked."""
    if (why := renewal_refusal(row, local_today)) is not None:
        raise Conflict(why)
    previous_end = row["end_date"]
    new_end = term_end(previous_end, row["term_months"])
    await repo.insert_renewal(
        session,
        {
            "id": uuid7(),
            "tenant_id": tenant_id,
            "agreement_id": row["id"],
            "previous_end_date": previous_end,
            "end_date": new_end,
            "term_number": row["term_number"] + 1,
            "renewed_by": actor if isinstance(actor, str) else f"principal:{actor.sub}",
            "created_at": now,
        },
    )
    values: dict[str, Any] = {
        "term_start": previous_end,
        "end_date": new_end,
        "term_number": row["term_number"] + 1,
        "updated_at": now,
    }
    if row["next_bill_date"] is None:
        values["next_bill_date"] = previous_end
    await repo.update(session, tenant_id, row["id"], values)
    await repo.set_churn(session, tenant_id, row["id"], row["currency"], new_end, -row["monthly_amount"])
    out = await get_agreement(session, tenant_id, row["id"])
    await _announce(session, tenant_id, row, new_end, out)
    await audit.record(
        session,
        actor,
        "agreement.renewed",
        "agreement",
        row["id"],
        {"previous_end_date": previous_end.isoformat(), "end_date": new_end.isoformat()},
        tenant_id=tenant_id,
    )
    return out


async def renew_now(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, now: dt.datetime
) -> AgreementOut:
    row = await locked(session, principal.tenant_id, agreement_id)
    timezone = (await tenants_repo.get(session, principal.tenant_id))["timezone"]
    local_today = now.astimezone(ZoneInfo(timezone)).date()
    return await renew(session, principal, principal.tenant_id, row, local_today=local_today, now=now)


async def _send_notices(session: AsyncSession, now: dt.datetime) -> int:
    """`renewal_due` for each agreement whose end is within its tenant's notice days, once per term end, and its
    notice mailed."""
    due = await repo.renewal_notices_due(session, now, 60)
    notices = [
        events.build(
            SERVICE,
            "vcio.billing.agreement.renewal_due",
            r["tenant_id"],
            {
                "agreement_id": str(r["id"]),
                "client_id": str(r["client_id"]),
                "end_date": r["end_date"].isoformat(),
                "auto_renew": r["auto_renew"],
            },
            subject=str(r["id"]),
        )
        for r in due
    ]
    await events.emit_many(session, notices)
    for r in due:  # and mailed to the account manager (billing.mail.messages.renewal_notice_mail says who)
        await skip_refused("renewal notice", messages.renewal_notice_mail(session, r["tenant_id"], r, now=now))
    return len(due)


async def renewal_sweep(session: AsyncSession, now: dt.datetime) -> dict[str, int]:
    """renewal_due N days before the end; at the end, auto-renew or expire. Days are the tenant's: the end
    comes at midnight in its time zone, where its scheduled billing runs, so a renewed term is in force when
    that day's run bills its first period."""
    notices = await _send_notices(session, now)
    renewed = expired = 0
    for row in await repo.ended(session, now):
        if renewal_refusal(row, row["local_today"]) is None:
            await renew(session, SWEEP, row["tenant_id"], row, local_today=row["local_today"], now=now)
            renewed += 1
            continue
        await repo.update(session, row["tenant_id"], row["id"], {"status": "expired", "updated_at": now})
        await audit.record(
            session,
            SWEEP,
            "agreement.expired",
            "agreement",
            row["id"],
            {"end_date": row["end_date"].isoformat()},
            tenant_id=row["tenant_id"],
        )
        expired += 1
    return {"notices": notices, "renewed": renewed, "expired": expired}
