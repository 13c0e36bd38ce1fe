"""The report as a document (HTML page and PDF): what `report.html` shows, for the MSP (bearer routes) and for the
client (its share link). It shows the snapshots as taken; nothing is read again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.reports import service
from strategy.reports.schemas import ReportOut
from strategy.shares.render import Document


def present(report: ReportOut, now: dt.datetime) -> dict[str, Any]:
    return {
        **report.model_dump(mode="json"),
        "period_last_day": report.period_end - dt.timedelta(days=1),
        "prepared_on": now.date(),
    }


def document(report: ReportOut, now: dt.datetime) -> Document:
    filename = f"qbr-{report.quarter.lower()}.pdf"
    return Document("report.html", {"r": present(report, now)}, filename)


async def shared(session: AsyncSession, share: Any, now: dt.datetime) -> Document:
    """The report a live share link opens (of the link's own tenant)."""
    report = await service.load(session, share["tenant_id"], share["target_id"])
    return document(report, now)
