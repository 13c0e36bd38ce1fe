"""A proposal's life after its draft: send, revise, view, accept, decline and expire. Each flow checks the state,
writes the row, the audit entry and the event in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.clients import repository as clients_repository
from proposals.proposals import calc, compose, document, mail, repository
from proposals.proposals.models import OPEN_STATUSES
from proposals.proposals.schemas import ProposalUpdate
from proposals.proposals.service import by_token, get
from vcio_shared import audit, events
from vcio_shared.auth import Principal
from vcio_shared.dates import local_date
from vcio_shared.errors import Conflict, Gone, Unprocessable
from vcio_shared.ids import uuid7

SERVICE = "proposals"
VALIDITY_DAYS = 30


async def send(
    session: AsyncSession,
    principal: Principal,
    proposal_id: uuid.UUID,
    valid_until: dt.date | None,
    now: dt.datetime,
    mailer: mail.Mailer,
) -> Any:
    """Send a draft: its link, its validity and its terms frozen, and the proposal mailed to the client."""
    row = await get(session, principal.tenant_id, proposal_id, for_update=True)
    if row.status != "draft":
        raise Conflict(f"this proposal is already {row.status}")
    client = await clients_repository.get(session, principal.tenant_id, row.client_id)
    mail.check_recipient(client.name, client.email)  # before anything is written
    today = local_date(now, client.timezone)
    valid_until = valid_until or row.valid_until or today + dt.timedelta(days=VALIDITY_DAYS)
    if valid_until < today:
        raise Unprocessable.field(["body", "valid_until"], "must not be in the past")
    values = {
        "status": "sent",
        "sent_at": now,
        "updated_at": now,
        "valid_until": valid_until,
        "token": secrets.token_urlsafe(32),
        "client_snapshot": compose.client_snapshot(client),
        **await compose.msp_terms(session, principal.tenant_id),  # the name and terms the client is shown, frozen
    }
    row = await repository.update(session, principal.tenant_id, row.id, values)
    view = document.present(row, base_url=mailer.base_url, calendar=False)
    changes = {"status": {"from": "draft", "to": "sent"}, "valid_until": valid_until}
    await audit.record(session, principal, "proposal.sent", "proposal", row.id, changes)
    data = {
        "proposal_id": str(row.id),
        "client_id": str(row.client_id),
        "version": row.version,
        "currency": row.currency,
        "monthly_total": view["monthly_total"],
        "one_time_total": view["one_time_total"],
        "contract_value": view["contract_value"],
        "valid_until": valid_until.isoformat(),
        "accept_url": view["accept_url"],
    }
    await events.emit(session, SERVICE, "vcio.proposals.proposal.sent", row.tenant_id, data, subject=str(row.id))
    await mail.proposal_sent(session, row, mailer, now)
    return row


async def revise(
    session: AsyncSession, principal: Principal, proposal_id: uuid.UUID, body: ProposalUpdate, now: dt.datetime
) -> Any:
    """A new draft version from a sent one, which becomes superseded."""
    old = await get(session, principal.tenant_id, proposal_id, for_update=True)
    if old.status == "draft":
        raise Conflict("a draft is edited in place (PATCH); only a sent version is revised")
    if old.status in ("accepted", "superseded"):
        raise Conflict(f"a {old.status} proposal cannot be revised")
    values = await compose.recompose(session, principal.tenant_id, old, body, now)
    if "valid_until" not in body.model_fields_set:
        values["valid_until"] = None  # the new version gets its own validity when it is sent
    new = await repository.insert(
        session,
        {
            **values,
            "id": uuid7(),
            "tenant_id": principal.tenant_id,
            "client_id": old.client_id,
            "version": old.version + 1,
            "supersedes_id": old.id,
            "status": "draft",
            "msp_name": old.msp_name,
            "msp_terms": old.msp_terms,
            "created_at": now,
            "updated_at": now,
        },
    )
    superseded = {"status": "superseded", "superseded_at": now, "superseded_by_id": new.id, "updated_at": now}
    await repository.update(session, principal.tenant_id, old.id, superseded)
    await _record_revision(session, principal, old, new, body)
    return new


async def _record_revision(
    session: AsyncSession, principal: Principal, old: Any, new: Any, body: ProposalUpdate
) -> None:
    revised = {"status": {"from": old.status, "to": "superseded"}, "superseded_by_id": new.id}
    await audit.record(session, principal, "proposal.revised", "proposal", old.id, revised)
    created = {"supersedes_id": old.id, **body.model_dump(mode="json", exclude_unset=True)}
    await audit.record(session, principal, "proposal.created", "proposal", new.id, created)
    data = {
        "proposal_id": str(new.id),
        "previous_proposal_id": str(old.id),
        "client_id": str(old.client_id),
        "version": new.version,
    }
    await events.emit(
        session, SERVICE, "vcio.proposals.proposal.revised", principal.tenant_id, data, subject=str(new.id)
    )


def _is_past_validity(row: Any, now: dt.datetime) -> bool:
    return row.valid_until is not None and local_date(now, row.client_snapshot["timezone"]) > row.valid_until


def _check_open(row: Any, now: dt.datetime, *, allow_draft: bool = False) -> None:
    if row.status == "accepted":
        raise Conflict("this proposal has already been accepted")
    if row.status == "declined":
        raise Conflict("this proposal was declined")
    if row.status == "superseded":
        raise Conflict("this proposal was replaced by a newer version")
    if row.status == "expired" or (row.status in OPEN_STATUSES and _is_past_validity(row, now)):
        raise Gone(f"this proposal expired (it was valid until {row.valid_until})")
    if row.status == "draft" and not allow_draft:
        raise Conflict("this proposal has not been sent")


async def accept(
    session: AsyncSession,
    row: Any,
    *,
    signer_name: str,
    signer_email: str,
    selected: list[str],
    channel: str,
    now: dt.datetime,
    mailer: mail.Mailer,
    accepted_at: dt.datetime | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    staff: Principal | None = None,
) -> Any:
    """Record an acceptance with the hash of exactly the document accepted, announce it, and mail the signed copy.

    Every refusal comes before anything is written: the client page answers a refusal with a page, and its
    transaction commits."""
    _check_open(row, now, allow_draft=staff is not None)
    when = accepted_at or now
    if row.valid_until is not None and local_date(when, row.client_snapshot["timezone"]) > row.valid_until:
        raise Gone(f"this proposal expired (it was valid until {row.valid_until})")
    chosen = _chosen_options(row, selected)
    t = calc.totals(row.lines, chosen, row.term_months)
    doc = document.canonical_document(row, chosen)
    values = {
        "status": "accepted",
        "accepted_at": when,
        "updated_at": now,
        "signer_name": signer_name,
        "signer_email": signer_email,
        "signer_ip": ip,
        "signer_user_agent": (user_agent or "")[:500] or None,
        "acceptance_channel": channel,
        "accepted_by": staff.sub if staff else None,
        "selected_options": chosen,
        "monthly_total_minor": t.monthly,
        "one_time_total_minor": t.one_time,
        "contract_value_minor": t.contract_value,
        "document_sha256": document.sha256(doc),
        "accepted_document": document.canonical_bytes(doc),
    }
    row = await repository.update(session, row.tenant_id, row.id, values)
    changes = {
        "status": {"to": "accepted"},
        "channel": channel,
        "document_sha256": row.document_sha256,
        "selected_options": chosen,
    }
    actor: Principal | str = staff or f"client:{signer_email}"
    await audit.record(session, actor, "proposal.accepted", "proposal", row.id, changes, tenant_id=row.tenant_id)
    data = document.accepted_event_data(row, now)
    await events.emit(session, SERVICE, "vcio.proposals.proposal.accepted", row.tenant_id, data, subject=str(row.id))
    await mail.proposal_accepted(session, row, mailer, now)
    return row


def _chosen_options(row: Any, selected: list[str]) -> list[str]:
    """The selection, sorted and without repeats; each must name an optional line of this version."""
    offered = {ln["id"] for ln in row.lines if ln["optional"]}
    unknown = sorted(set(selected) - offered)
    if unknown:
        raise Unprocessable.field(["body", "selected_options"], f"not optional items of this proposal: {unknown}")
    return sorted(set(selected))


async def staff_accept(
    session: AsyncSession,
    principal: Principal,
    proposal_id: uuid.UUID,
    *,
    signer_name: str,
    signer_email: str,
    selected: list[str],
    accepted_at: dt.datetime | None,
    now: dt.datetime,
    mailer: mail.Mailer,
) -> Any:
    row = await get(session, principal.tenant_id, proposal_id, for_update=True)
    if accepted_at is not None:
        if accepted_at.tzinfo is None:
            raise Unprocessable.field(["body", "accepted_at"], "needs a UTC offset")
        if accepted_at > now:
            raise Unprocessable.field(["body", "accepted_at"], "must not be in the future")
        if accepted_at < now - dt.timedelta(days=366):
            raise Unprocessable.field(["body", "accepted_at"], "must not be more than a year ago")
    return await accept(
        session,
        row,
        signer_name=signer_name,
        signer_email=signer_email,
        selected=selected,
        channel="staff",
        now=now,
        mailer=mailer,
        accepted_at=accepted_at,
        staff=principal,
    )


async def decline(session: AsyncSession, row: Any, reason: str, now: dt.datetime) -> Any:
    _check_open(row, now)
    values = {"status": "declined", "declined_at": now, "decline_reason": reason, "updated_at": now}
    row = await repository.update(session, row.tenant_id, row.id, values)
    changes = {"status": {"to": "declined"}, "reason": reason}
    actor = f"client:{row.client_snapshot['email']}"
    await audit.record(session, actor, "proposal.declined", "proposal", row.id, changes, tenant_id=row.tenant_id)
    data = {"proposal_id": str(row.id), "client_id": str(row.client_id), "reason": reason}
    await events.emit(session, SERVICE, "vcio.proposals.proposal.declined", row.tenant_id, data, subject=str(row.id))
    return row


async def open_page(session: AsyncSession, token: str, now: dt.datetime) -> Any:
    """Opening the link records `viewed`; a link past its validity expires on the spot."""
    row = await by_token(session, token, for_update=True)
    if row.status in OPEN_STATUSES and _is_past_validity(row, now):
        expired = await repository.mark_expired(session, [row.id], now)
        await _announce_expired(session, expired, now)
        return await by_token(session, token)
    if row.status == "sent":
        values = {"status": "viewed", "viewed_at": now, "updated_at": now}
        row = await repository.update(session, row.tenant_id, row.id, values)
        changes = {"status": {"to": "viewed"}}
        await audit.record(session, "client", "proposal.viewed", "proposal", row.id, changes, tenant_id=row.tenant_id)
    return row


async def _announce_expired(session: AsyncSession, rows: list[Any], now: dt.datetime) -> None:
    changes = {"status": {"to": "expired"}}
    await audit.record_many(
        session,
        [
            audit.entry("system", "proposal.expired", "proposal", r.id, changes, tenant_id=r.tenant_id, at=now)
            for r in rows
        ],
    )
    await events.emit_many(
        session,
        [
            events.build(
                SERVICE,
                "vcio.proposals.proposal.expired",
                r.tenant_id,
                {"proposal_id": str(r.id), "client_id": str(r.client_id)},
                subject=str(r.id),
                now=now,
            )
            for r in rows
        ],
    )


async def expire_due(session: AsyncSession, now: dt.datetime) -> int:
    """The sweep: every open proposal whose validity ended in its client's time zone becomes expired."""
    # No time zone is more than a day ahead of UTC: anything valid beyond UTC's today is certainly still open.
    candidates = await repository.expiry_candidates(session, now.date())
    due = [c.id for c in candidates if local_date(now, c.client_snapshot["timezone"]) > c.valid_until]
    expired = await repository.mark_expired(session, due, now)
    await _announce_expired(session, expired, now)
    return len(expired)
