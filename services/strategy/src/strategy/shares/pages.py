"""What a live share link shows: the client's roadmap (live, its default range) or a report (its snapshots)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.clients import repository as clients
from strategy.initiatives import document as roadmap_document
from strategy.initiatives.roadmap import roadmap
from strategy.reports import document as report_document
from strategy.shares.render import Document


async def _roadmap(session: AsyncSession, share: Any, now: dt.datetime) -> Document:
    tenant, client_id = share["tenant_id"], share["target_id"]
    got = await roadmap(session, tenant, client_id, now.date(), from_year=None, to_year=None, currency=None)
    client = await clients.get(session, tenant, client_id)
    view = roadmap_document.present(got, client["name"] if client else None)
    return Document("roadmap.html", {"r": view}, "roadmap.pdf")


async def document(session: AsyncSession, share: Any, now: dt.datetime) -> Document:
    if share["kind"] == "roadmap":
        return await _roadmap(session, share, now)
    return await report_document.shared(session, share, now)
