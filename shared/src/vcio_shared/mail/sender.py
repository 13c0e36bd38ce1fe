"""The mail sender: claims due rows of the `mail` table, sends them over SMTP, records each outcome.

Replicas share the table: a claim takes due rows `FOR UPDATE SKIP LOCKED` and gives each a lease (and counts
the attempt) in a transaction of its own, so no two replicas send one row at once; a replica that dies holding a
row lets it go when the lease ends. Sending happens outside any transaction, then the batch's outcomes are
written in one.

Exactly once, and its limit: a crash between the server's acceptance and that write sends the message again
when the lease ends, with the SAME Message-ID (derived from the cause), by which a receiver can drop the
second copy (many do; the local sink keeps both). SMTP offers nothing stronger."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from typing import Any

import aiosmtplib
import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vcio_shared.clock import Clock
from vcio_shared.connection import cancel_and_wait, wait_event
from vcio_shared.events import CloudEvent, emit_many
from vcio_shared.events import build as build_event
from vcio_shared.mail.message import build
from vcio_shared.mail.outbox import MAIL, mail_of
from vcio_shared.mail.smtp import SmtpSettings, backoff, describe, is_permanent

log = structlog.get_logger("vcio.mail")


@dataclass
class Outcome:
    """What became of one claimed row."""

    row: Any  # the claimed `mail` row
    error: BaseException | None = None
    refused: str | None = None  # some recipients refused while others took it: sent, with this note


@dataclass(frozen=True)
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def rows(self) -> int:
        """How many rows the round claimed."""
        return self.sent + self.retrying + self.failed


class MailSender:
    """Delivers a service's mail. `send_due()` does one round (tests drive it on a FixedClock); `start()` runs
    rounds in the background, woken by `wake()` after a commit that enqueued mail, else every `poll_interval`."""

    def __init__(  # noqa: PLR0913 - the sender's knobs, all with defaults but the first four
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        smtp: SmtpSettings,
        mail_from: str,
        clock: Clock,
        *,
        batch_size: int = 50,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        max_attempts: int = 30,
        poll_interval: float = 5.0,
        rng: random.Random | None = None,
        service: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.smtp = smtp
        self.mail_from = mail_from
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts
        self.poll_interval = poll_interval
        self.rng = rng or random.Random()
        self.service = service  # when set, each sent or failed message emits `vcio.<service>.mail.sent|failed`
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mail-sender")

    async def stop(self) -> None:
        """Stop; a batch in flight is sent again by whoever claims it when its lease ends."""
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before the round: a commit's wake that comes during it brings another at once
            try:
                report = await self.send_due()
                if report.rows >= self.batch_size:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("mail sender round failed", error=describe(exc))
            await wait_event(self._wake, self.poll_interval)

    async def _claim(self) -> list[Any]:
        now = self.clock.now()
        due = (
            sa.select(MAIL.c.id)
            .where(MAIL.c.status == "pending", MAIL.c.next_attempt_at <= now)
            .where(sa.or_(MAIL.c.lease_until.is_(None), MAIL.c.lease_until <= now))
            .order_by(MAIL.c.next_attempt_at)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        claim = (
            sa.update(MAIL)
            .where(MAIL.c.id.in_(due.scalar_subquery()))
            .values(lease_until=now + self.lease, attempts=MAIL.c.attempts + 1)
            .returning(*MAIL.c)
        )
        async with self.sessionmaker() as session, session.begin():
            return list((await session.execute(claim)).all())

    async def send_due(self) -> Report:
        """Claim the due rows, send them on one connection, record what happened. Returns the counts."""
        rows = await self._claim()
        if not rows:
            return Report()
        outcomes = await self._send(rows)
        return await self._record(outcomes)

    def _prepared(self, row: Any) -> tuple[list[str], bytes]:
        """A row's envelope recipients and its message as it goes on the wire (message.build's policy: folded at
        998 columns; aiosmtplib's send_message would flatten it again at 78)."""
        recipients = [a for _, a in getaddresses(row.to_addrs + row.cc_addrs)]
        return recipients, build(mail_of(row), self.mail_from).as_bytes()

    async def _send(self, rows: list[Any]) -> list[Outcome]:
        """Send the rows in order on one connection; each message is built while the one before it is on the wire
        (its commands sent, the server's answers awaited), so the server's time and ours overlap."""
        client = self.smtp.client()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            return [Outcome(row, exc) for row in rows]
        outcomes: list[Outcome] = []
        in_flight: asyncio.Task[Outcome] | None = None
        try:
            for row in rows:
                prepared = self._prepared(row)
                if in_flight is not None:
                    outcomes.append(await in_flight)
                in_flight = asyncio.create_task(self._send_one(client, row, *prepared))
                await asyncio.sleep(0)  # let it write its first command before we build the next message
            if in_flight is not None:
                outcomes.append(await in_flight)
                in_flight = None
        finally:
            if in_flight is not None:
                await cancel_and_wait(in_flight)
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        return outcomes

    async def _send_one(self, client: aiosmtplib.SMTP, row: Any, recipients: list[str], data: bytes) -> Outcome:
        if not client.is_connected:  # dropped by an earlier message: the rest wait for the next round
            return Outcome(row, aiosmtplib.SMTPServerDisconnected("connection lost"))
        try:
            refused, _ = await client.sendmail(self._envelope_from(), recipients, data)
        except (aiosmtplib.SMTPException, OSError) as exc:
            if isinstance(exc, aiosmtplib.SMTPResponseException | aiosmtplib.SMTPRecipientsRefused):
                await _reset(client)
            return Outcome(row, exc)
        note = "; ".join(f"{rcpt}: {r.code} {r.message}" for rcpt, r in refused.items()) or None
        return Outcome(row, refused=note)

    def _envelope_from(self) -> str:
        return parseaddr(self.mail_from)[1]

    def _values(self, outcome: Outcome, now: dt.datetime) -> dict[str, Any]:
        if outcome.error is None:
            return {"status": "sent", "sent_at": now, "lease_until": None, "error": outcome.refused}
        error = describe(outcome.error)
        if is_permanent(outcome.error):
            return {"status": "failed", "lease_until": None, "error": error}
        attempts = outcome.row.attempts
        if attempts >= self.max_attempts:
            return {"status": "failed", "lease_until": None, "error": f"gave up after {attempts}: {error}"}
        retry_at = now + backoff(attempts, self.rng)
        return {"lease_until": None, "next_attempt_at": retry_at, "error": error}

    async def _record(self, outcomes: list[Outcome]) -> Report:
        """The round's outcomes in one transaction: the plainly sent rows in one UPDATE, the others one by one,
        and their mail.sent|failed events in one outbox write."""
        now = self.clock.now()
        counts = {"sent": 0, "failed": 0, "pending": 0}
        plainly_sent: list[Any] = []
        announced: list[CloudEvent] = []
        async with self.sessionmaker() as session, session.begin():
            for outcome in outcomes:
                values = self._values(outcome, now)
                counts[values.get("status", "pending")] += 1
                if values.get("status") == "sent" and values["error"] is None:
                    plainly_sent.append(outcome.row.id)
                else:
                    await session.execute(sa.update(MAIL).where(MAIL.c.id == outcome.row.id).values(**values))
                if self.service is not None and "status" in values:
                    announced.append(self._event(outcome.row, values, now))
            if plainly_sent:
                done = {"status": "sent", "sent_at": now, "lease_until": None, "error": None}
                await session.execute(sa.update(MAIL).where(MAIL.c.id.in_(plainly_sent)).values(**done))
            await emit_many(session, announced)
        if counts["failed"] or counts["pending"]:
            log.info("mail round", sent=counts["sent"], retrying=counts["pending"], failed=counts["failed"])
        return Report(sent=counts["sent"], retrying=counts["pending"], failed=counts["failed"])

    def _event(self, row: Any, values: dict[str, Any], now: dt.datetime) -> CloudEvent:
        """`vcio.<service>.mail.sent` or `.failed`, written in the transaction that records the outcome."""
        data = {
            "mail_id": str(row.id),
            "cause": row.cause,
            "client_id": row.client_id,
            "to": list(row.to_addrs),
            "subject": row.subject,
            "message_id": row.message_id,
            "attempts": row.attempts,
            "sent_at": now.isoformat() if values["status"] == "sent" else None,
            "error": values["error"],
        }
        service, kind = str(self.service), values["status"]  # "sent" or "failed"
        return build_event(service, f"vcio.{service}.mail.{kind}", row.tenant_id, data, subject=str(row.id), now=now)


async def _reset(client: aiosmtplib.SMTP) -> None:
    """After a refused message, RSET so the next one starts a clean transaction on the same connection."""
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()
