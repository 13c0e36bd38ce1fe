"""Billing mail tests: the app with its sender pointed at a real SMTP server (SmtpRecorder), the MSP profile,
delivered activities, and what arrives, parsed."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import uuid
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from billing_helpers import PROPOSALS, SCHEDULER
from fastapi import FastAPI

from billing.main import INVOICE_MAIL_CONSUMER, build_app
from vcio_shared.bus import handle_once
from vcio_shared.clock import FixedClock
from vcio_shared.events import CloudEvent, build
from vcio_shared.ids import uuid7
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.settings import Settings

MAIL_FROM = "vcio billing <billing@vcio.example>"
PROFILE = {
    "name": "Northwind IT",
    "legal_name": "Northwind IT Services LLC",
    "email": "accounts@northwind.example",
    "address": "1 Harbour Way\nPortland, OR 97201",
    "payment_instructions": "ACH to Pacific Bank\nRouting 123000848, account 99887766",
    "updated_at": "2027-01-02T09:00:00+00:00",
}


def mail_app(settings: Settings, clock: FixedClock, smtp: SmtpRecorder, *, background: bool = False) -> FastAPI:
    values = {"smtp_url": f"smtp://127.0.0.1:{smtp.port}", "mail_from": MAIL_FROM}
    return build_app(settings.model_copy(update=values), clock=clock, run_background=background)


async def profile(app: FastAPI, tenant: str = "tenant-a", **changes: Any) -> None:
    data = {**PROFILE, **changes}
    event = build("proposals", "vcio.proposals.msp_profile.updated", tenant, data, subject=tenant)
    assert await handle_once(app.state.runtime.sessionmaker, PROPOSALS, event)


async def delivered(app: FastAPI, agreement: dict[str, Any], name: str, completed_at: str, hours: str) -> None:
    """An activity completed for the agreement's client, through billing's real scheduler consumer."""
    data = {
        "id": str(uuid7()),
        "agreement_id": agreement["id"],
        "client_id": agreement["client_id"],
        "name": name,
        "category": "it_strategy",
        "billing_mode": "billable",
        "role": "vcio",
        "completed_at": completed_at,
        "outcome": "done",
        "hours_spent": hours,
    }
    event = build("scheduler", "vcio.scheduler.activity.completed", "tenant-a", data)
    assert await handle_once(app.state.runtime.sessionmaker, SCHEDULER, event)


def issued_event(invoice: dict[str, Any], tenant: str = "tenant-a") -> CloudEvent:
    """An invoice.issued event as billing emits it (the invoice document; its id is a new event id)."""
    return build("billing", "vcio.billing.invoice.issued", tenant, invoice, subject=invoice["id"])


async def handle_issued(app: FastAPI, event: CloudEvent) -> bool:
    return await handle_once(app.state.runtime.sessionmaker, INVOICE_MAIL_CONSUMER, event)


async def send_due(app: FastAPI) -> int:
    """One round of the real sender; how many it sent."""
    return (await app.state.runtime.mail.send_due()).sent


async def mail_rows(app: FastAPI, tenant: str = "tenant-a") -> list[dict[str, Any]]:
    async with app.state.runtime.sessionmaker() as s:
        q = sa.text("SELECT cause, subject, to_addrs, status, unsubscribe FROM mail WHERE tenant_id = :t ORDER BY id")
        return [dict(r) for r in (await s.execute(q, {"t": tenant})).mappings()]


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies."""
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {a.get_filename() or "": a.get_content() for a in msg.iter_attachments()}


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", " ", out.decode()).strip()


def html_text(html: str) -> str:
    body = html.split("<body>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.replace("&amp;", "&"))).strip()


async def set_client_email(app: FastAPI, client_id: str | uuid.UUID, email: str) -> None:
    async with app.state.runtime.sessionmaker() as s, s.begin():
        await s.execute(sa.text("UPDATE clients SET email = :e WHERE id = :c"), {"e": email, "c": str(client_id)})


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)
