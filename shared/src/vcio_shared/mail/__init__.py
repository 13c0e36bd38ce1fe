"""Mail: a per-service outbox table written in the caller's transaction, an SMTP sender, a local sink.

`enqueue` writes a message (idempotent per tenant and cause); `MailSender` delivers due rows over SMTP;
`sink.start_sink` runs the embedded sink that keeps .eml files for `vcio mail`. See shared/README.md, "Mail"."""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vcio_shared.mail.message import Attachment, HeaderInjection, Mail, SenderProfile, build, message_id
    from vcio_shared.mail.outbox import (
        MAIL,
        MAIL_WRITTEN,
        MailOut,
        count_mail,
        enqueue,
        has_mail,
        list_mail,
        skip_refused,
    )
    from vcio_shared.mail.sender import MailSender, Report
    from vcio_shared.mail.smtp import SmtpSettings
    from vcio_shared.mail.table import add_mail_table, mail_table_downgrade, mail_table_upgrade

# Imported when first asked for (PEP 562): the sink (`python -m vcio_shared.mail.sink`, a child process that
# `vcio dev` restarts) then starts without SQLAlchemy, FastAPI and aiosmtplib, in a tenth of the time.
_WHERE = {
    "Attachment": "message",
    "HeaderInjection": "message",
    "Mail": "message",
    "SenderProfile": "message",
    "build": "message",
    "message_id": "message",
    "MAIL": "outbox",
    "MAIL_WRITTEN": "outbox",
    "MailOut": "outbox",
    "enqueue": "outbox",
    "list_mail": "outbox",
    "has_mail": "outbox",
    "count_mail": "outbox",
    "skip_refused": "outbox",
    "MailSender": "sender",
    "Report": "sender",
    "SmtpSettings": "smtp",
    "add_mail_table": "table",
    "mail_table_downgrade": "table",
    "mail_table_upgrade": "table",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"vcio_shared.mail.{_WHERE[name]}"), name)


__all__ = [
    "MAIL",
    "MAIL_WRITTEN",
    "Attachment",
    "HeaderInjection",
    "Mail",
    "MailOut",
    "MailSender",
    "Report",
    "SenderProfile",
    "SmtpSettings",
    "add_mail_table",
    "build",
    "count_mail",
    "enqueue",
    "has_mail",
    "list_mail",
    "mail_table_downgrade",
    "mail_table_upgrade",
    "message_id",
    "skip_refused",
]
