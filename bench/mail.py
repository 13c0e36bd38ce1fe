"""Mail: N invoice mails with their PDF (5,000 at scale 1) enqueued in billing's way and sent by the shared
MailSender to the local sink (vcio_shared.mail.sink, its own process, storing each as an .eml), beside raw
aiosmtplib sends of the very same built messages to the same sink.

One real invoice PDF is rendered once by billing's renderer (WeasyPrint, ~0.4 s) and its bytes are attached to
every message: the figure is the mail path's (enqueue, claim, build, SMTP, record), not WeasyPrint's. The raw
baseline sends at the sender's batching: one connection per batch of `BATCH` messages (connect, send each,
QUIT), as a sender round does; it runs before and after the sender, and the faster of the two is the baseline.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiosmtplib
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.figures import ceiling_figure, rate_figure
from bench.results import Results, console
from bench.stack import Stack, free_port
from billing.invoices import render
from billing.mail import messages
from vcio_shared.clock import SYSTEM_CLOCK
from vcio_shared.db import create_engine, make_sessionmaker
from vcio_shared.mail import Attachment, MailSender, SmtpSettings, add_mail_table, build, enqueue
from vcio_shared.mail.outbox import MAIL, mail_of
from vcio_shared.mail.sink import SUFFIX, mail_dir, start_sink, stop_sink
from vcio_shared.settings import to_driver_url

TENANT = "bench-mail"
BATCH = 50  # MailSender's batch_size: one SMTP connection per round of this many
ENQUEUE_TX = 500  # messages per enqueuing transaction
MAIL_FROM = "vcio billing <billing@vcio.example>"
SELLER = {
    "name": "Northwind IT",
    "legal_name": "Northwind IT Services LLC",
    "email": "accounts@northwind.example",
    "address": "1 Harbour Way\nPortland, OR 97201",
    "payment_instructions": "ACH to Pacific Bank\nRouting 123000848, account 99887766",
}


def invoice_context(k: int) -> dict[str, Any]:
    """An invoice as billing's renderer takes it (the shape of render.context)."""
    amount = f"{1500 + k % 500}.00"
    line = {
        "kind": "recurring",
        "description": "vCIO Growth, monthly subscription",
        "period_start": "2027-01-01",
        "period_end": "2027-02-01",
        "quantity": 1,
        "unit_amount": amount,
        "amount": amount,
    }
    invoice = {
        "id": str(uuid.uuid4()),
        "number": f"INV-2027-{k + 1:06d}",
        "client_id": str(uuid.uuid4()),
        "status": "issued",
        "issue_date": "2027-01-01",
        "due_date": "2027-01-31",
        "period_start": "2027-01-01",
        "period_end": "2027-02-01",
        "currency": "USD",
        "subtotal": amount,
        "tax_rate": "0",
        "tax": "0.00",
        "total": amount,
        "amount_paid": "0.00",
        "amount_credited": "0.00",
        "amount_due": amount,
        "refund_due": "0.00",
        "lines": [line],
    }
    delivered = {"from": "2026-12-01", "to": "2027-01-01", "activities": []}
    client = {"name": f"Client {k}", "email": f"client{k}@example.test", "timezone": "America/Chicago"}
    return {"invoice": invoice, "delivered": delivered, "client": client, "agreement": None, "seller": SELLER}


async def enqueue_all(sessionmaker: async_sessionmaker[AsyncSession], n: int, pdf: bytes) -> float:
    """Enqueue N invoice mails as billing does (its templates, its sender profile), ENQUEUE_TX per commit."""
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    for first in range(0, n, ENQUEUE_TX):
        async with sessionmaker() as session, session.begin():
            for k in range(first, min(n, first + ENQUEUE_TX)):
                ctx = invoice_context(k)
                invoice = ctx["invoice"]
                html, text = messages.bodies("invoice", **ctx)
                await enqueue(
                    session,
                    tenant_id=TENANT,
                    cause=f"invoice.issued:{invoice['id']}",
                    to=[ctx["client"]["email"]],
                    subject=f"Invoice {invoice['number']} from {SELLER['name']}",
                    text=text,
                    html=html,
                    attachments=[Attachment(f"{invoice['number']}.pdf", "application/pdf", pdf)],
                    sender=messages.sender_of(SELLER),
                    client_id=invoice["client_id"],
                    now=now,
                )
    return time.perf_counter() - started


async def send_with_sender(sessionmaker: async_sessionmaker[AsyncSession], smtp: SmtpSettings) -> tuple[float, int]:
    sender = MailSender(sessionmaker, smtp, MAIL_FROM, SYSTEM_CLOCK, batch_size=BATCH)
    sent = 0
    started = time.perf_counter()
    while (report := await sender.send_due()).rows:
        if report.failed or report.retrying:
            raise RuntimeError(f"the sender did not send everything: {report}")
        sent += report.sent
    return time.perf_counter() - started, sent


async def built_messages(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Any]:
    """The very messages the sender sent, built again from their rows (untimed)."""
    async with sessionmaker() as session:
        rows = (await session.execute(sa.select(MAIL).order_by(MAIL.c.id))).all()
    return [build(mail_of(row), MAIL_FROM) for row in rows]


async def send_raw(smtp: SmtpSettings, built: list[Any]) -> float:
    """aiosmtplib alone: one connection per BATCH messages, as a sender round."""
    started = time.perf_counter()
    for first in range(0, len(built), BATCH):
        client = aiosmtplib.SMTP(hostname=smtp.hostname, port=smtp.port, start_tls=False)
        await client.connect()
        for msg in built[first : first + BATCH]:
            await client.send_message(msg, sender="billing@vcio.example", recipients=[str(msg["To"])])
        await client.quit()
    return time.perf_counter() - started


def stored(directory: Path) -> int:
    return sum(1 for _ in directory.glob(f"*{SUFFIX}"))


async def run(stack: Stack, results: Results, scale: float) -> None:
    n = max(100, round(5_000 * scale))
    url = stack.new_database("bench_mail")
    engine = create_engine(to_driver_url(url, "asyncpg"), pool_size=4)
    async with engine.begin() as conn:
        await conn.run_sync(add_mail_table(sa.MetaData()).create)
    sessionmaker = make_sessionmaker(engine)
    t = time.perf_counter()
    pdf = await asyncio.to_thread(render.pdf_of, render.page(invoice_context(0)))
    render_s = time.perf_counter() - t
    tmp = Path(tempfile.mkdtemp(prefix="vcio-bench-mail-"))
    port = free_port()
    sink = start_sink(tmp, port)
    smtp = SmtpSettings.from_url(f"smtp://127.0.0.1:{port}")
    try:
        enqueue_s = await enqueue_all(sessionmaker, n, pdf)
        built = await built_messages(sessionmaker)
        size = sum(len(m.as_bytes()) for m in built[:10]) / 10
        raw_before = await send_raw(smtp, built)
        sender_s, sent = await send_with_sender(sessionmaker, smtp)
        raw_after = await send_raw(smtp, built)
        files = stored(mail_dir(tmp))
    finally:
        stop_sink(sink)
        shutil.rmtree(tmp, ignore_errors=True)
        await engine.dispose()
    if sent != n or files != 3 * n:
        raise RuntimeError(f"sent {sent} of {n}; the sink stored {files} of {3 * n}")
    raw_s = min(raw_before, raw_after)
    console.print(
        f"  one invoice PDF rendered in {render_s:.2f} s ({len(pdf):,} bytes), attached to all {n:,} messages "
        f"(~{size / 1024:.0f} KiB each); enqueued in {enqueue_s:.2f} s ({n / enqueue_s:,.0f}/s); "
        f"sender {sender_s:.2f} s, raw aiosmtplib {raw_before:.2f} s before and {raw_after:.2f} s after; "
        f"the sink stored {files:,} .eml files"
    )
    results.add(
        rate_figure(
            "mail send rate",
            n / sender_s,
            n / raw_s,
            unit="msgs/s",
            baseline=f"raw aiosmtplib sends of the same built messages, one connection per {BATCH} (the faster of 2)",
            floor=0.5,
            digits=1,
            note=f"{n} invoice mails with a {len(pdf) // 1024} KiB PDF to the local sink",
            extra={"raw_rounds_s": [round(raw_before, 2), round(raw_after, 2)], "sender_s": round(sender_s, 2)},
        )
    )
    results.add(
        ceiling_figure(
            "mail enqueue time",
            enqueue_s,
            None,
            unit="s",
            baseline="none",
            ceiling=None,
            speed=False,
            note=f"{n} invoice mails rendered from billing's templates, {ENQUEUE_TX} per transaction",
        )
    )
