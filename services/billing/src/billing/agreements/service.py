"""Agreement reads and the small rules every agreement module shares: the answer, the locked row, auto-renew.

Activation from `proposal.accepted` is in `activation.py`; cancel, change and settle in `flows.py`; renewals in
`renewals.py`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as repo
from billing.agreements.schemas import AgreementOut, PackageOut, PricePointOut
from vcio_shared import audit, money
from vcio_shared.auth import Principal
from vcio_shared.errors import found

SERVICE = "billing"


def agreement_out(row: Mapping[Any, Any]) -> AgreementOut:
    """The agreement as the API answers it, from its row read with `client_name` (`repository.get`)."""
    cur = row["currency"]
    return AgreementOut(
        id=row["id"],
        proposal_id=row["proposal_id"],
        client_id=row["client_id"],
        client_name=row["client_name"],
        status=row["status"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        term_start=row["term_start"],
        term_months=row["term_months"],
        term_number=row["term_number"],
        billing_cycle=row["billing_cycle"],
        monthly_amount=money.format(row["monthly_amount"], cur),
        one_time_amount=money.format(row["one_time_amount"], cur),
        currency=cur,
        auto_renew=row["auto_renew"],
        package=PackageOut(
            id=row["package_id"], version=row["package_version"], name=row["package_name"], tier=row["package_tier"]
        ),
        price_schedule=[
            PricePointOut.model_validate(
                {"from": p["from"], "monthly_amount": money.format(int(p["monthly_amount"]), cur)}
            )
            for p in row["price_schedule"]
        ],
        cancel_effective_date=row["cancel_effective_date"],
        next_bill_date=row["next_bill_date"],
        activities=row["activities"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def event_data(out: AgreementOut) -> dict[str, Any]:
    """The agreement as events carry it: the JSON the API answers, less `client_name` (events name the client
    where they carry one: `client`)."""
    return out.model_dump(mode="json", exclude={"client_name"})


def client_brief(client: Mapping[Any, Any] | None, client_id: uuid.UUID) -> dict[str, Any]:
    if client is None:
        return {"id": str(client_id)}
    return {"id": str(client["id"]), "name": client["name"], "email": client["email"], "timezone": client["timezone"]}


async def get_agreement(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> AgreementOut:
    row = found(await repo.get(session, tenant_id, agreement_id), "no such agreement")
    return agreement_out(row)


async def list_agreements(session: AsyncSession, tenant_id: str, *, limit: int, **filters: Any) -> list[AgreementOut]:
    return [agreement_out(r) for r in await repo.list_page(session, tenant_id, limit=limit, **filters)]


async def locked(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> Mapping[Any, Any]:
    """The agreement's row, locked FOR UPDATE until the transaction ends."""
    return found(await repo.get(session, tenant_id, agreement_id, for_update=True), "no such agreement")


async def set_auto_renew(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, auto_renew: bool, now: dt.datetime
) -> AgreementOut:
    row = await locked(session, principal.tenant_id, agreement_id)
    await repo.update(session, principal.tenant_id, agreement_id, {"auto_renew": auto_renew, "updated_at": now})
    await audit.record(
        session,
        principal,
        "agreement.updated",
        "agreement",
        agreement_id,
        {"auto_renew": {"from": row["auto_renew"], "to": auto_renew}},
    )
    return await get_agreement(session, principal.tenant_id, agreement_id)
