"""Writing mail in the caller's transaction (`enqueue`), and reading a tenant's mail back (`list_mail`).

A message is a row of the service's `mail` table, written in the same transaction as the change that causes it:
it goes out only if that change commits. One row per (tenant, cause): an event redelivered to a handler, a
request retried, a sweep run twice all enqueue nothing new."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from vcio_shared.ids import uuid7
from vcio_shared.mail.message import (
    DEFAULT_MAIL_FROM,
    Attachment,
    HeaderInjection,
    Mail,
    SenderProfile,
    check_address,
    check_header,
    domain_of,
    message_id,
)
from vcio_shared.mail.table import STATUSES, add_mail_table
from vcio_shared.schemas import ResponseModel

MAIL = add_mail_table(sa.MetaData())
log = structlog.get_logger("vcio.mail")
MAIL_WRITTEN = "mail_written"  # set in `session.info` when the transaction enqueued mail (to wake the sender)


def mail_domain() -> str:
    """The domain of `VCIO_MAIL_FROM`, which every Message-ID ends with."""
    return domain_of(os.environ.get("VCIO_MAIL_FROM") or DEFAULT_MAIL_FROM)


def _checked(
    to: Sequence[str], cc: Sequence[str], subject: str, sender: SenderProfile, attachments: Sequence[Attachment]
) -> None:
    if not to:
        raise HeaderInjection("to", "at least one recipient is needed")
    for i, address in enumerate(to):
        check_address(f"to[{i}]", address)
    for i, address in enumerate(cc):
        check_address(f"cc[{i}]", address)
    check_header("subject", subject)
    if sender.name is not None:
        check_header("sender_name", sender.name)
    if sender.reply_to is not None:
        check_address("reply_to", sender.reply_to)
    for i, attachment in enumerate(attachments):
        check_header(f"attachments[{i}].filename", attachment.filename)
        if attachment.content_type.count("/") != 1:
            raise HeaderInjection(f"attachments[{i}].content_type", "must be type/subtype")
        check_header(f"attachments[{i}].content_type", attachment.content_type)


async def enqueue(  # noqa: PLR0913 - a message has this many parts
    session: AsyncSession,
    *,
    tenant_id: str,
    cause: str,
    to: Sequence[str],
    subject: str,
    text: str,
    now: dt.datetime,
    html: str | None = None,
    cc: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
    sender: SenderProfile | None = None,
    client_id: str | None = None,
    unsubscribe: str | None = None,
) -> uuid.UUID | None:
    """Write one message to the `mail` table in the caller's transaction; the sender delivers it after commit.

    Returns the new row's id, or None when this tenant already has a message for `cause` (nothing changes).
    Raises `HeaderInjection` (answer 422) when a header value holds a line break or an address is not one."""
    sender = sender or SenderProfile()
    _checked(to, cc, subject, sender, attachments)
    if unsubscribe is not None:
        check_header("unsubscribe", unsubscribe)
    values: dict[str, Any] = {
        "id": uuid7(),
        "tenant_id": tenant_id,
        "cause": cause,
        "client_id": client_id,
        "message_id": message_id(tenant_id, cause, mail_domain()),
        "to_addrs": list(to),
        "cc_addrs": list(cc),
        "subject": subject,
        "text_body": text,
        "html_body": html,
        "attachments": [{"filename": a.filename, "content_type": a.content_type} for a in attachments],
        "attachment_data": [a.data for a in attachments],
        "sender_name": sender.name,
        "reply_to": sender.reply_to,
        "footer": sender.footer,
        "unsubscribe": unsubscribe,
        "next_attempt_at": now,
        "created_at": now,
    }
    statement = (
        pg.insert(MAIL)
        .values(values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "cause"])
        .returning(MAIL.c.id)
    )
    new_id = (await session.execute(statement)).scalar_one_or_none()
    if new_id is not None:
        session.info[MAIL_WRITTEN] = True
    return new_id


async def has_mail(session: AsyncSession, tenant_id: str, cause: str) -> bool:
    """Whether this tenant has a message for `cause` already (to skip rendering a PDF for nothing)."""
    query = sa.select(sa.literal(1)).where(MAIL.c.tenant_id == tenant_id, MAIL.c.cause == cause)
    return (await session.scalar(query)) is not None


async def count_mail(session: AsyncSession, tenant_id: str, cause_prefix: str) -> int:
    """How many of this tenant's messages have a cause starting with `cause_prefix` (sends of one thing)."""
    query = sa.select(sa.func.count()).where(MAIL.c.tenant_id == tenant_id, MAIL.c.cause.startswith(cause_prefix))
    return int(await session.scalar(query) or 0)


async def skip_refused(what: str, message: Awaitable[uuid.UUID | None]) -> uuid.UUID | None:
    """Write a message that follows a change (a sweep, an event, a payment): a header value the mail path refuses
    (CR/LF in a name or an address) skips this message only, logged, and never undoes or dead-letters the change."""
    try:
        return await message
    except HeaderInjection as exc:
        log.warning("mail skipped: a header value is refused", mail=what, field=exc.field, problem=exc.problem)
        return None


def mail_of(row: Any) -> Mail:
    """The message a `mail` row holds."""
    return Mail(
        tenant_id=row.tenant_id,
        cause=row.cause,
        message_id=row.message_id,
        to=row.to_addrs,
        cc=row.cc_addrs,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
        attachments=[
            Attachment(meta["filename"], meta["content_type"], bytes(data))
            for meta, data in zip(row.attachments, row.attachment_data, strict=True)
        ],
        sender=SenderProfile(row.sender_name, row.reply_to, row.footer),
        unsubscribe=row.unsubscribe,
        created_at=row.created_at,
    )


class MailOut(ResponseModel):
    """One message as `GET /v1/mail` answers it (never its bodies or attachments)."""

    id: uuid.UUID
    to: list[str]
    subject: str
    status: str
    attempts: int
    sent_at: dt.datetime | None
    error: str | None
    cause: str
    client_id: str | None
    created_at: dt.datetime


async def list_mail(
    session: AsyncSession,
    tenant_id: str,
    *,
    client_id: str | None = None,
    status: str | None = None,
    before: uuid.UUID | None = None,
    limit: int = 50,
) -> list[MailOut]:
    """A tenant's mail, newest first, optionally for one client and one status; `before` pages on."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    columns = (MAIL.c.id, MAIL.c.to_addrs, MAIL.c.subject, MAIL.c.status, MAIL.c.attempts, MAIL.c.sent_at)
    query = sa.select(*columns, MAIL.c.error, MAIL.c.cause, MAIL.c.client_id, MAIL.c.created_at).where(
        MAIL.c.tenant_id == tenant_id
    )
    if client_id is not None:
        query = query.where(MAIL.c.client_id == client_id)
    if status is not None:
        query = query.where(MAIL.c.status == status)
    if before is not None:
        query = query.where(MAIL.c.id < before)
    rows = (await session.execute(query.order_by(MAIL.c.id.desc()).limit(limit))).mappings()
    return [MailOut.model_validate({**row, "to": row["to_addrs"]}) for row in rows]
