"""A proposal's mail, written to the `mail` outbox in the transaction of the change that causes it.

- On send, the proposal to the client: the accept link, the totals, the validity, the PDF attached.
  Cause `proposal.sent:{id}`: a version is sent once; sending again is a revision (a new version, a new id, a new
  mail). A send retried with its Idempotency-Key replays the first answer and writes nothing.
- On acceptance, the signed copy (the accepted PDF, with its document_sha256) to the signer and to the MSP's profile
  e-mail (none when the profile has no e-mail). Causes `proposal.accepted:{id}:client` and `...:msp`.
- A reminder `REMINDER_DAYS` days before `valid_until` (the client's calendar) for a version still open, once:
  cause `proposal.reminder:{id}:3`, with a List-Unsubscribe to the MSP's address.

A line break in the client's name or e-mail refuses the send (422) before anything is written: it would go into
the To header. Text the MSP or the signer typed that reaches a header (the MSP's name in From and Subject, the
signer's name in To) is folded onto one line instead: an acceptance is never refused because of its mail."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from email.utils import formataddr
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from proposals.msp import repository as msp_repository
from proposals.proposals import document, repository
from proposals.proposals.pdf import PdfRenderer, pdf_of
from proposals.proposals.render import env
from vcio_shared.dates import local_date
from vcio_shared.documents import long_date
from vcio_shared.errors import Unprocessable
from vcio_shared.mail import Attachment, HeaderInjection, SenderProfile, enqueue

log = structlog.get_logger("proposals.mail")

REMINDER_DAYS = 3
PDF = "application/pdf"


@dataclass(frozen=True)
class Mailer:
    """What composing a proposal's mail needs from the app: a PDF renderer and the public base URL of links."""

    pdf: PdfRenderer
    base_url: str


def one_line(value: str) -> str:
    """Text for a header: every run of white space (line breaks included) becomes one space."""
    return " ".join(value.split())


def check_recipient(name: str, email: str) -> None:
    """The client's name and e-mail go into the To header: a line break in either refuses the send (422)."""
    for field, value in (("name", name), ("email", email)):
        if any(ch in value for ch in "\r\n"):
            raise Unprocessable.field(
                ["client", field], "must not contain a line break (it would go into a mail header); correct the client"
            )


def local_time(at: dt.datetime, timezone: str) -> str:
    """An instant as the client reads it: "4 January 2027, 10:00 EST"."""
    local = at.astimezone(zoneinfo.ZoneInfo(timezone))
    return f"{local:%-d %B %Y, %H:%M} {local.tzname()}"


def _render(name: str, **context: Any) -> tuple[str, str]:
    """The text and HTML parts of a message, from templates/mail/{name}.txt and .html."""
    text = env.get_template(f"mail/{name}.txt").render(**context)
    return text, env.get_template(f"mail/{name}.html").render(**context)


async def _profile(session: AsyncSession, tenant_id: str) -> tuple[SenderProfile, str | None]:
    """The tenant's sender (name, reply-to, footer of legal name and address), and the MSP's e-mail."""
    profile = await msp_repository.get(session, tenant_id)
    if profile is None:
        return SenderProfile(), None
    footer = "\n".join(part for part in (profile.legal_name or profile.name, profile.address) if part)
    return SenderProfile(name=one_line(profile.name), reply_to=profile.email, footer=footer or None), profile.email


def _context(view: dict[str, Any], row: Any) -> dict[str, Any]:
    return {"p": view, "client_name": row.client_snapshot["name"], "msp_name": row.msp_name}


def _filename(row: Any, suffix: str = "") -> str:
    return f"proposal-{row.id}-v{row.version}{suffix}.pdf"


def _subject_name(row: Any) -> str:
    version = f" (version {row.version})" if row.version > 1 else ""
    return one_line(f"{row.package['name']}{version}")


async def proposal_sent(session: AsyncSession, row: Any, mailer: Mailer, now: dt.datetime) -> None:
    """The sent version to the client, with its accept link and its PDF."""
    client = row.client_snapshot
    check_recipient(client["name"], client["email"])
    view = document.present(row, base_url=mailer.base_url)
    pdf = await pdf_of(mailer.pdf, view)
    sender, _ = await _profile(session, row.tenant_id)
    text, html = _render("proposal_sent", **_context(view, row))
    await enqueue(
        session,
        tenant_id=row.tenant_id,
        cause=f"proposal.sent:{row.id}",
        to=[formataddr((client["name"], client["email"]))],
        subject=f"Proposal from {one_line(row.msp_name)}: {_subject_name(row)}",
        text=text,
        html=html,
        attachments=[Attachment(_filename(row), PDF, pdf)],
        sender=sender,
        client_id=str(row.client_id),
        now=now,
    )


async def proposal_accepted(session: AsyncSession, row: Any, mailer: Mailer, now: dt.datetime) -> None:
    """The signed copy to the signer and to the MSP (its profile e-mail; without one, the MSP's copy is skipped)."""
    view = document.present(row, base_url=mailer.base_url)
    signed = Attachment(_filename(row, "-signed"), PDF, await pdf_of(mailer.pdf, view))
    sender, msp_email = await _profile(session, row.tenant_id)
    context = {
        **_context(view, row),
        "accepted_at": local_time(row.accepted_at, row.client_snapshot["timezone"]),
        "options": [ln["description"] for ln in view["lines"] if ln["optional"] and ln["selected"]],
    }
    common: dict[str, Any] = {
        "tenant_id": row.tenant_id,
        "attachments": [signed],
        "sender": sender,
        "client_id": str(row.client_id),
        "now": now,
    }
    text, html = _render("proposal_accepted", for_msp=False, **context)
    await enqueue(
        session,
        cause=f"proposal.accepted:{row.id}:client",
        to=[formataddr((one_line(row.signer_name), row.signer_email))],
        subject=f"Signed: {_subject_name(row)} from {one_line(row.msp_name)}",
        text=text,
        html=html,
        **common,
    )
    if msp_email is None:
        log.info("signed copy not sent to the MSP: its profile has no e-mail", proposal_id=str(row.id))
        return
    text, html = _render("proposal_accepted", for_msp=True, **context)
    await enqueue(
        session,
        cause=f"proposal.accepted:{row.id}:msp",
        to=[msp_email],
        subject=f"Accepted by {one_line(row.client_snapshot['name'])}: {_subject_name(row)}",
        text=text,
        html=html,
        **common,
    )


def _reminder_due(row: Any, now: dt.datetime, days: int) -> bool:
    """From `days` days before the last valid day (the client's calendar) through that day, and only for a
    version sent before the reminder's day (one sent later was just mailed)."""
    tz = row.client_snapshot["timezone"]
    remind_on = row.valid_until - dt.timedelta(days=days)
    return remind_on <= local_date(now, tz) <= row.valid_until and local_date(row.sent_at, tz) < remind_on


async def send_reminders(session: AsyncSession, now: dt.datetime, base_url: str, days: int = REMINDER_DAYS) -> int:
    """The sweep: a reminder for each open version whose validity ends in `days` days. Returns how many."""
    # No time zone is more than a day away from UTC's date: the window is widened by a day on each side.
    today = now.date()
    cause = ("proposal.reminder:", f":{days}")
    candidates = await repository.reminder_candidates(
        session, today - dt.timedelta(days=1), today + dt.timedelta(days=days + 1), cause
    )
    written = 0
    for row in candidates:
        if not _reminder_due(row, now, days):
            continue
        try:
            written += await _remind(session, row, f"{cause[0]}{row.id}{cause[1]}", now, base_url)
        except HeaderInjection as exc:  # refused before any write: the sweep goes on with the others
            log.warning("reminder not mailed", proposal_id=str(row.id), field=exc.field, problem=exc.problem)
    return written


async def _remind(session: AsyncSession, row: Any, cause: str, now: dt.datetime, base_url: str) -> bool:
    client = row.client_snapshot
    sender, msp_email = await _profile(session, row.tenant_id)
    view = document.present(row, base_url=base_url, calendar=False)
    left = (row.valid_until - local_date(now, client["timezone"])).days
    when = {0: "today", 1: "tomorrow"}.get(left, f"{left} days from now")
    text, html = _render("proposal_reminder", left=when, **_context(view, row))
    valid_until = long_date(row.valid_until)
    new = await enqueue(
        session,
        tenant_id=row.tenant_id,
        cause=cause,
        to=[formataddr((client["name"], client["email"]))],
        subject=f"Reminder: the proposal from {one_line(row.msp_name)} is valid until {valid_until}",
        text=text,
        html=html,
        sender=sender,
        client_id=str(row.client_id),
        unsubscribe=f"mailto:{msp_email}?subject=unsubscribe" if msp_email else None,
        now=now,
    )
    return new is not None
