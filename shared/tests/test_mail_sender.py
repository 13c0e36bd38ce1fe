"""The mail path end to end: enqueue in a transaction, the sender over SMTP to a real aiosmtpd server."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from vcio_shared.clock import FixedClock
from vcio_shared.embedded import free_port
from vcio_shared.mail import (
    Attachment,
    MailSender,
    Report,
    SenderProfile,
    SmtpSettings,
    add_mail_table,
    enqueue,
    list_mail,
    mail_table_upgrade,
    message_id,
)
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.settings import to_driver_url
from vcio_shared.testing import PgServer, eventually

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
FROM = "vcio <mail@msp.example>"


@pytest.fixture
def mail_db(pg_server: PgServer) -> Iterator[str]:
    """A throwaway database whose `mail` table comes from the shared migration step."""
    url = pg_server.empty_database("mail")
    engine = sa.create_engine(to_driver_url(url, "psycopg"))
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        mail_table_upgrade()
    engine.dispose()
    yield url
    pg_server.drop(url)


@pytest.fixture
async def sessions(mail_db: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(to_driver_url(mail_db, "asyncpg"))
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    with SmtpRecorder() as server:
        yield server


def sender_for(sessions: async_sessionmaker[AsyncSession], port: int, clock: FixedClock) -> MailSender:
    settings = SmtpSettings.from_url(f"smtp://127.0.0.1:{port}", timeout=5)
    return MailSender(sessions, settings, FROM, clock, rng=random.Random(7))


async def enqueue_invoice(sessions: async_sessionmaker[AsyncSession], tenant: str = "t1", n: int = 1) -> object:
    async with sessions() as session, session.begin():
        return await enqueue(
            session,
            tenant_id=tenant,
            cause=f"invoice.issued:inv-{n}",
            client_id="c1",
            to=["Ada Client <ada@client.example>"],
            cc=["books@client.example"],
            subject=f"Invoice INV-{n:04d}",
            text="Total due: 1,234.56 EUR",
            html="<html><body><p>Total due: <b>1,234.56 EUR</b></p></body></html>",
            attachments=[Attachment(f"INV-{n:04d}.pdf", "application/pdf", b"%PDF-1.4 fake")],
            sender=SenderProfile("Acme MSP", "billing@acme.example", "Acme MSP, 1 Main St"),
            now=T0,
        )


def test_the_migration_step_matches_the_table_a_service_declares(mail_db: str) -> None:
    metadata = sa.MetaData()
    add_mail_table(metadata)
    engine = sa.create_engine(to_driver_url(mail_db, "psycopg"))
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diffs == []


async def test_a_message_arrives_once_with_its_parts_and_message_id(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VCIO_MAIL_FROM", FROM)
    clock = FixedClock(T0)
    assert await enqueue_invoice(sessions) is not None
    assert await sender_for(sessions, smtp.port, clock).send_due() == Report(sent=1)
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["From"] == "Acme MSP <mail@msp.example>"
    assert msg["To"] == "Ada Client <ada@client.example>"
    assert msg["Cc"] == "books@client.example"
    assert msg["Reply-To"] == "billing@acme.example"
    assert msg["Subject"] == "Invoice INV-0001"
    assert msg["Message-ID"] == message_id("t1", "invoice.issued:inv-1", "msp.example")
    assert msg["Message-ID"].endswith("@msp.example>")
    assert msg["List-Unsubscribe"] is None
    assert smtp.envelopes == [("mail@msp.example", ["ada@client.example", "books@client.example"])]
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content() == "Total due: 1,234.56 EUR\r\n\r\n-- \r\nAcme MSP, 1 Main St\r\n"
    assert '<b>1,234.56 EUR</b></p><hr><p class="footer">Acme MSP, 1 Main St</p></body>' in html.get_content()
    attachments = list(msg.iter_attachments())
    assert [(a.get_filename(), a.get_content_type(), a.get_content()) for a in attachments] == [
        ("INV-0001.pdf", "application/pdf", b"%PDF-1.4 fake")
    ]
    async with sessions() as session:
        [row] = await list_mail(session, "t1")
    assert (row.status, row.attempts, row.sent_at, row.error) == ("sent", 1, T0, None)
    assert await sender_for(sessions, smtp.port, clock).send_due() == Report()
    assert len(smtp.messages) == 1


async def test_one_cause_enqueued_twice_is_one_row_and_one_delivery(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder
) -> None:
    first = await enqueue_invoice(sessions)
    again = await enqueue_invoice(sessions)
    other_tenant = await enqueue_invoice(sessions, tenant="t2")
    assert first is not None and again is None and other_tenant is not None
    clock = FixedClock(T0)
    assert await sender_for(sessions, smtp.port, clock).send_due() == Report(sent=2)
    ids = smtp.message_ids()
    assert len(ids) == 2 and ids[0] != ids[1]  # one per tenant, each with its own Message-ID


async def test_the_server_down_then_up_queues_and_then_sends_nothing_lost(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    port = free_port()  # nothing listens yet: connection refused
    clock = FixedClock(T0)
    sender = sender_for(sessions, port, clock)
    for n in (1, 2, 3):
        await enqueue_invoice(sessions, n=n)
    assert await sender.send_due() == Report(retrying=3)
    async with sessions() as session:
        rows = await list_mail(session, "t1")
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1)] * 3
    assert all("ConnectionRefused" in (r.error or "") or "connect" in (r.error or "").lower() for r in rows)
    clock.advance(seconds=14)  # the first backoff is 15 to 30 s: nothing is due yet
    assert await sender.send_due() == Report()
    clock.advance(seconds=16)
    assert await sender.send_due() == Report(retrying=3)  # still down: the second wait is 30 to 60 s
    with SmtpRecorder(port) as smtp:
        clock.advance(seconds=60)
        assert await sender.send_due() == Report(sent=3)
        assert sorted(str(m["Subject"]) for m in smtp.messages) == [
            "Invoice INV-0001",
            "Invoice INV-0002",
            "Invoice INV-0003",
        ]
    async with sessions() as session:
        rows = await list_mail(session, "t1")
    assert [(r.status, r.attempts, r.sent_at, r.error) for r in rows] == [
        ("sent", 3, T0 + dt.timedelta(seconds=90), None)
    ] * 3


async def test_a_550_is_recorded_as_failed_with_its_error_and_kept(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder
) -> None:
    smtp.refuse_rcpt = "550 5.1.1 no such mailbox"
    await enqueue_invoice(sessions)
    clock = FixedClock(T0)
    assert await sender_for(sessions, smtp.port, clock).send_due() == Report(failed=1)
    clock.advance(hours=5)
    assert await sender_for(sessions, smtp.port, clock).send_due() == Report()
    async with sessions() as session:
        [row] = await list_mail(session, "t1", status="failed")
    assert (row.status, row.attempts, row.sent_at) == ("failed", 1, None)
    assert row.error == (
        "ada@client.example: 550 5.1.1 no such mailbox; books@client.example: 550 5.1.1 no such mailbox"
    )
    assert smtp.messages == []


async def test_a_451_is_retried_and_then_sent(sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder) -> None:
    smtp.refuse_data = "451 4.3.0 try again later"
    await enqueue_invoice(sessions)
    clock = FixedClock(T0)
    sender = sender_for(sessions, smtp.port, clock)
    assert await sender.send_due() == Report(retrying=1)
    async with sessions() as session:
        [row] = await list_mail(session, "t1")
    assert (row.status, row.error) == ("pending", "451 4.3.0 try again later")
    smtp.refuse_data = None
    clock.advance(seconds=30)
    assert await sender.send_due() == Report(sent=1)
    assert len(smtp.messages) == 1


async def test_tenant_isolation_of_the_list(sessions: async_sessionmaker[AsyncSession]) -> None:
    await enqueue_invoice(sessions, tenant="t1", n=1)
    await enqueue_invoice(sessions, tenant="t1", n=2)
    await enqueue_invoice(sessions, tenant="t2", n=3)
    async with sessions() as session:
        mine = await list_mail(session, "t1")
        theirs = await list_mail(session, "t2")
        other_client = await list_mail(session, "t1", client_id="c2")
    assert [r.subject for r in mine] == ["Invoice INV-0002", "Invoice INV-0001"]
    assert [r.subject for r in theirs] == ["Invoice INV-0003"]
    assert other_client == []


async def test_a_rolled_back_change_sends_nothing(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder
) -> None:
    async with sessions() as session:
        async with session.begin():
            await enqueue(
                session,
                tenant_id="t1",
                cause="proposal.sent:p-9",
                to=["a@client.example"],
                subject="s",
                text="t",
                now=T0,
            )
            await session.rollback()
    assert await sender_for(sessions, smtp.port, FixedClock(T0)).send_due() == Report()
    assert smtp.messages == []


async def test_after_the_last_attempt_a_transient_failure_becomes_failed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await enqueue_invoice(sessions)
    clock = FixedClock(T0)
    settings = SmtpSettings.from_url(f"smtp://127.0.0.1:{free_port()}", timeout=5)
    sender = MailSender(sessions, settings, FROM, clock, max_attempts=2)
    assert await sender.send_due() == Report(retrying=1)
    clock.advance(minutes=1)
    assert await sender.send_due() == Report(failed=1)
    async with sessions() as session:
        [row] = await list_mail(session, "t1")
    assert (row.status, row.attempts) == ("failed", 2)
    assert (row.error or "").startswith("gave up after 2: ")


async def test_the_background_sender_sends_when_woken_and_stops(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder
) -> None:
    sender = sender_for(sessions, smtp.port, FixedClock(T0))
    sender.poll_interval = 60  # only a wake can make it send within the test
    sender.start()
    try:
        await asyncio.sleep(0.2)  # its first round found nothing; it now waits for a wake
        await enqueue_invoice(sessions)
        sender.wake()
        await eventually(lambda: len(smtp.messages) == 1, timeout=5)
    finally:
        await sender.stop()
    assert sender._task is not None and sender._task.done()


async def test_a_long_subject_arrives_at_the_server_on_one_line(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder
) -> None:
    subject = "Reminder: your proposal vCIO Essentials for Acme Dental expires on 7 January"  # 76 characters
    async with sessions() as session, session.begin():
        await enqueue(session, tenant_id="t1", cause="c1", to=["ada@client.example"], subject=subject, text="x", now=T0)
    assert await sender_for(sessions, smtp.port, FixedClock(T0)).send_due() == Report(sent=1)
    assert [str(m["Subject"]) for m in smtp.messages] == [subject]


async def test_a_wake_during_a_round_brings_the_next_round_at_once(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpRecorder
) -> None:
    """Mail enqueued (and its wake) while a round is under way goes at once, not after the poll interval."""
    sender = MailSender(sessions, SmtpSettings.from_url(f"smtp://127.0.0.1:{smtp.port}"), FROM, FixedClock(T0))
    sender.poll_interval = 30.0
    rounds: list[float] = []

    async def round_that_sees_a_commit() -> Report:
        rounds.append(asyncio.get_running_loop().time())
        if len(rounds) == 1:
            sender.wake()
        await asyncio.sleep(0.01)
        return Report()

    sender.send_due = round_that_sees_a_commit  # type: ignore[method-assign]
    sender.start()
    try:
        await asyncio.wait_for(eventually(lambda: len(rounds) >= 2, timeout=5), 6)
    finally:
        await sender.stop()
    assert rounds[1] - rounds[0] < 1.0
