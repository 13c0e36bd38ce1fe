"""Replay: an endpoint's events since a time, read back from the streams with ephemeral consumers.

Each stream is read from `since` by an ephemeral pull consumer (no acks, dropped by the server when idle); the
tenant's events that concern the endpoint become deliveries due now. A delivery that exists already is sent
again under the same webhook-id; one made before the endpoint existed is made now."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from typing import Any

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
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
    """Every message of a stream's subject stored at or after `since`: (bytes, decoded event)."""
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_TIME,
        opt_start_time=since,
        ack_policy=AckPolicy.NONE,
        inactive_threshold=30.0,
    )
    try:
        sub = await js.pull_subscribe(subject, stream=stream, config=config)
    except NotFoundError:
        return  # the stream's service has never started: nothing to read
    try:
        read = 0
        while read < MAX_EVENTS:
            try:
                msgs = await sub.fetch(FETCH, timeout=0.5)
            except (TimeoutError, nats.errors.TimeoutError):
                return
            for msg in msgs:
                read += 1
                with contextlib.suppress(EventDecodeError):
                    yield msg.data, decode(msg.data, subject=msg.subject)
            if msgs and msgs[-1].metadata.num_pending == 0:
                return
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


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
