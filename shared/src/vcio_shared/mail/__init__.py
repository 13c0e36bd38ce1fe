"""Mail: a per-service outbox table written in the caller's transaction, an SMTP sender, a local sink.

`enqueue` writes a message (idempotent per tenant and cause); `MailSender` delivers due rows over SMTP;
`sink.start_sink` runs the embedded sink that keeps .eml files for `vcio mail`. See shared/README.md, "Mail"."""

from vcio_shared.mail.message import Attachment, HeaderInjection, Mail, SenderProfile, build, message_id
from vcio_shared.mail.outbox import MAIL, MAIL_WRITTEN, MailOut, enqueue, list_mail
from vcio_shared.mail.sender import MailSender, Report
from vcio_shared.mail.smtp import SmtpSettings
from vcio_shared.mail.table import add_mail_table, mail_table_downgrade, mail_table_upgrade

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
    "enqueue",
    "list_mail",
    "mail_table_downgrade",
    "mail_table_upgrade",
    "message_id",
]
