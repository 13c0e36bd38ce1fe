"""A mail message: what `enqueue` checks (no line break in any header value) and how the sender builds it.

Every header value a caller gives (names, addresses, subject, filenames, the tenant's sender name and reply-to)
is refused at enqueue when it holds CR or LF (`HeaderInjection`, which a route answers with a 422), so nothing a
client typed can add a header or a recipient. The `email` package's SMTP policy refuses them again when the
message is built."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, getaddresses, parseaddr

from vcio_shared.errors import ProblemError

DEFAULT_MAIL_FROM = "vcio <vcio@localhost.localdomain>"  # when VCIO_MAIL_FROM is not set


class HeaderInjection(ProblemError, ValueError, status=422, slug="validation-error"):
    """A header value holds a line break, or an address is not one: a route that let it through answers 422."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}", errors=[{"loc": ["body", field_name], "msg": problem}])
        self.field = field_name
        self.problem = problem


@dataclass(frozen=True)
class Attachment:
    """A file sent with the mail. Its bytes are fixed at enqueue: a retry sends what the cause produced."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class SenderProfile:
    """The tenant's face on its mail: the From display name, Reply-To, and a footer under every body."""

    name: str | None = None
    reply_to: str | None = None
    footer: str | None = None


@dataclass(frozen=True)
class Mail:
    """Everything one message is built from (one row of the `mail` table)."""

    tenant_id: str
    cause: str
    message_id: str
    to: Sequence[str]
    subject: str
    text: str
    html: str | None = None
    cc: Sequence[str] = ()
    attachments: Sequence[Attachment] = ()
    sender: SenderProfile = field(default_factory=SenderProfile)
    unsubscribe: str | None = None
    created_at: dt.datetime | None = None


def check_header(field_name: str, value: str) -> str:
    """`value`, refused when it holds a line break (a header injection) or another control character."""
    if any(ch in value for ch in "\r\n\0"):
        raise HeaderInjection(field_name, "must not contain a line break")
    return value


def check_address(field_name: str, value: str) -> str:
    """One e-mail address (`a@b.example` or `Name <a@b.example>`), with no line break and one `@`."""
    check_header(field_name, value)
    found = getaddresses([value])
    local, at, domain = found[0][1].rpartition("@") if len(found) == 1 else ("", "", "")
    if not at or not local or "." not in domain or any(ch in local + domain for ch in " <>,;"):
        raise HeaderInjection(field_name, f"{value!r} is not one e-mail address")
    return value


def message_id(tenant_id: str, cause: str, domain: str) -> str:
    """The Message-ID of a cause: the same for every attempt, so a receiver can drop a second copy."""
    digest = hashlib.sha256(f"{tenant_id}\0{cause}".encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "vcio.invalid"


def _with_footer_text(text: str, footer: str | None) -> str:
    return text if not footer else f"{text.rstrip()}\n\n-- \n{footer}\n"


def _with_footer_html(body: str, footer: str | None) -> str:
    if not footer:
        return body
    block = f'<hr><p class="footer">{html.escape(footer).replace(chr(10), "<br>")}</p>'
    head, found, tail = body.rpartition("</body>")
    return f"{head}{block}</body>{tail}" if found else body + block


# Headers up to RFC 5322's 998 characters stay on one line: at the default 78, a subject a little longer than a line
# was folded whole onto a continuation line, and readers showed it with a leading space.
_POLICY = SMTP.clone(max_line_length=998)


def build(mail: Mail, mail_from: str) -> EmailMessage:
    """The message as it goes out: text part beside HTML, attachments after, headers from the row only."""
    msg = EmailMessage(policy=_POLICY)
    name, address = parseaddr(mail_from)
    msg["From"] = formataddr((mail.sender.name or name, address))
    msg["To"] = ", ".join(mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    if mail.sender.reply_to:
        msg["Reply-To"] = mail.sender.reply_to
    msg["Subject"] = mail.subject
    msg["Message-ID"] = mail.message_id
    msg["Date"] = format_datetime(mail.created_at or dt.datetime.now(dt.UTC))
    msg["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe:
        msg["List-Unsubscribe"] = f"<{mail.unsubscribe}>"
    msg.set_content(_with_footer_text(mail.text, mail.sender.footer))
    if mail.html is not None:
        msg.add_alternative(_with_footer_html(mail.html, mail.sender.footer), subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return msg
