"""Replay: an endpoint's events since a time, read back from the streams.

Each stream is read from `since` one stored message at a time (STREAM.MSG.GET, read-only); the tenant's events
that concern the endpoint become deliveries due now. A delivery that exists already is sent again under the same
webhook-id; one made before the endpoint existed is made now."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession

from integrations.deliveries import repository as repo
from integrations.deliveries.matching import concerns
from integrations.deliveries.service import delivery_row
from vcio_shared.events import EventDecodeError, decode

FETCH = 500
MAX_EVENTS = 200_000  # a bound on one replay's reading, whatever `since` is


async def stream_events(
    js: JetStreamContext, stream: str, subject: str, since: dt.datetime
) -> AsyncIterator[tuple[bytes, Any]]:
    """Every message of a stream's subject stored at or after `since`: (bytes, decoded event).

    Read with STREAM.MSG.GET, the first from `start_time`, then each next by sequence: read-only, so the
    service's NATS user needs no consumer on another service's stream beyond its durable (deploy/nats.conf: the
    nameless CONSUMER.CREATE an ephemeral consumer needs would let it reconfigure any consumer of the stream)."""
    request: dict[str, Any] = {"start_time": since.astimezone(dt.UTC).isoformat(), "next_by_subj": subject}
    for _ in range(MAX_EVENTS):
        try:
            reply = await js._api_request(f"$JS.API.STREAM.MSG.GET.{stream}", orjson.dumps(request), timeout=5)
        except NotFoundError:
            return  # past the stream's last message, or a stream whose service has never started
        message = reply["message"]
        data = base64.b64decode(message.get("data") or b"")
        with contextlib.suppress(EventDecodeError):
            yield data, decode(data, subject=message["subject"])
        request = {"seq": message["seq"] + 1, "next_by_subj": subject}


async def replay(
    session: AsyncSession,
    js: JetStreamContext,
    streams: Mapping[str, str],
    endpoint: Mapping[str, Any],
    since: dt.datetime,
    now: dt.datetime,
) -> int:
    """Queue again every event of the endpoint's tenant since `since` that concerns it; the number queued."""
    queued = 0
    for stream, prefix in streams.items():
        rows = []
        async for payload, event in stream_events(js, stream, f"vcio.{prefix}.>", since):
            if event.tenantid == endpoint["tenant_id"] and concerns(endpoint, event.type, event.data):
                rows.append(delivery_row(endpoint["id"], event.tenantid, event.id, event.type, payload, now))
            if len(rows) >= FETCH:
                queued += await repo.requeue(session, rows, now)
                rows = []
        queued += await repo.requeue(session, rows, now)
    return queued
