"""Header injection refused at enqueue, the unsubscribe header, VCIO_SMTP_URL, STARTTLS with auth, and two
senders on one table never sending a row twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.tests.test_mail_sender import FROM, T0, enqueue_invoice, mail_db, sender_for, sessions, smtp
from vcio_shared.clock import FixedClock
from vcio_shared.mail import (
    MAIL,
    HeaderInjection,
    Mail,
    MailSender,
    Report,
    SenderProfile,
    SmtpSettings,
    build,
    enqueue,
)
from vcio_shared.mail.testing import SmtpRecorder

__all__ = ["mail_db", "sessions", "smtp"]  # the fixtures, shared with test_mail_sender


async def enqueue_with(sessions: async_sessionmaker[AsyncSession], **overrides: object) -> object:
    values: dict[str, object] = {
        "tenant_id": "t1",
        "cause": "proposal.sent:p-1",
        "to": ["client@client.example"],
        "subject": "Your proposal",
        "text": "Hello",
        "now": T0,
        **overrides,
    }
    async with sessions() as session, session.begin():
        return await enqueue(session, **values)  # type: ignore[arg-type]


async def count_rows(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int((await session.execute(sa.select(sa.func.count()).select_from(MAIL))).scalar_one())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"to": ["Eve\r\nBcc: all@victim.example <eve@evil.example>"]}, "to[0]"),
        ({"to": ["eve@evil.example\nBcc: all@victim.example"]}, "to[0]"),
        ({"to": ["a@client.example, b@evil.example"]}, "to[0]"),
        ({"cc": ["ok@client.example", "x@y.example\r\n"]}, "cc[1]"),
        ({"subject": "Invoice\r\nBcc: all@victim.example"}, "subject"),
        ({"sender": SenderProfile(name="Acme\nBcc: all@victim.example")}, "sender_name"),
        ({"sender": SenderProfile(reply_to="r@acme.example\r\nX-Evil: 1")}, "reply_to"),
        ({"to": []}, "to"),
    ],
)
async def test_a_line_break_in_a_name_or_an_address_is_refused_and_nothing_is_written(
    sessions: async_sessionmaker[AsyncSession], overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(HeaderInjection) as refused:
        await enqueue_with(sessions, **overrides)
    assert refused.value.field == field
    assert await count_rows(sessions) == 0


async def test_a_name_with_a_comma_and_quotes_is_kept_in_one_header(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder
) -> None:
    await enqueue_with(sessions, to=['"Doe, Jane" <jane@client.example>'], sender=SenderProfile(name="Acme, Inc."))
    assert await sender_for(sessions, smtp.port, FixedClock(T0)).send_due() == Report(sent=1)
    [msg] = smtp.messages
    assert msg["To"].addresses[0].display_name == "Doe, Jane"
    assert msg["From"].addresses[0].display_name == "Acme, Inc."
    assert smtp.envelopes == [("mail@msp.example", ["jane@client.example"])]


async def test_reminders_carry_list_unsubscribe(sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder) -> None:
    await enqueue_with(sessions, cause="invoice.overdue:i-1:7", unsubscribe="https://vcio.example/u/abc")
    assert await sender_for(sessions, smtp.port, FixedClock(T0)).send_due() == Report(sent=1)
    assert smtp.messages[0]["List-Unsubscribe"] == "<https://vcio.example/u/abc>"
    assert smtp.messages[0].get_body(("html",)) is None  # text only when no HTML was given


def test_smtp_url_forms() -> None:
    plain = SmtpSettings.from_url("smtp://us%40er:p%3Ass@mail.example:2525")
    assert (plain.hostname, plain.port, plain.username, plain.password, plain.use_tls) == (
        "mail.example",
        2525,
        "us@er",
        "p:ss",
        False,
    )
    assert SmtpSettings.from_url("smtps://mail.example").port == 465
    assert SmtpSettings.from_url("smtps://mail.example").use_tls is True
    assert SmtpSettings.from_url("smtp://mail.example?verify=false").validate_certs is False
    assert SmtpSettings.from_url("smtp://mail.example").username is None
    with pytest.raises(ValueError, match="smtp:// or smtps://"):
        SmtpSettings.from_url("http://mail.example")


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


async def test_starttls_and_auth(sessions: async_sessionmaker[AsyncSession], tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with SmtpRecorder(tls_context=context, credentials=("mailer", "s3cret")) as server:
        await enqueue_with(sessions)
        clock = FixedClock(T0)
        wrong = SmtpSettings.from_url(f"smtp://mailer:nope@127.0.0.1:{server.port}?ca={cert}", timeout=5)
        assert await MailSender(sessions, wrong, FROM, clock).send_due() == Report(retrying=1)  # a login failure waits
        clock.advance(minutes=1)
        right = SmtpSettings.from_url(f"smtp://mailer:s3cret@127.0.0.1:{server.port}?ca={cert}", timeout=5)
        assert await MailSender(sessions, right, FROM, clock).send_due() == Report(sent=1)
        assert server.logins == ["mailer"]
        assert len(server.messages) == 1


async def test_two_senders_on_one_table_send_each_row_once(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder
) -> None:
    for n in range(40):
        await enqueue_invoice(sessions, n=n)
    clock = FixedClock(T0)
    settings = SmtpSettings.from_url(f"smtp://127.0.0.1:{smtp.port}", timeout=5)
    replicas = [MailSender(sessions, settings, FROM, clock, batch_size=7) for _ in range(2)]
    total = 0
    while True:
        reports = await asyncio.gather(*(r.send_due() for r in replicas))
        if not any(r.rows for r in reports):
            break
        total += sum(r.sent for r in reports)
    ids = smtp.message_ids()
    assert (total, len(ids), len(set(ids))) == (40, 40, 40)


def test_a_subject_longer_than_a_line_arrives_without_a_leading_space() -> None:
    subject = "Overdue: Quarterly business review for Northwind Traders Incorporated (Ada)"  # 75 characters
    mail = Mail(
        tenant_id="t1", cause="c", message_id="<x@msp.example>", to=["ada@client.example"], subject=subject, text="x"
    )
    parsed = message_from_bytes(build(mail, "vcio <mail@msp.example>").as_bytes(), policy=policy.default)
    assert parsed["Subject"] == subject
