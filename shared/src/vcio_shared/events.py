"""CloudEvents 1.0 in structured JSON mode (CONTRACT.md section 5), and writing them to the outbox."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from vcio_shared.ids import uuid7, uuid7_strings
from vcio_shared.logging import current_trace_headers

SPECVERSION = "1.0"
_TYPE = re.compile(r"^vcio\.[a-z_]+\.[a-z_]+\.[a-z_]+(\.v\d+)?$")
_REQUIRED = ("specversion", "id", "source", "type", "time", "tenantid", "datacontenttype", "data")


class EventDecodeError(ValueError):
    """The bytes are not a vcio CloudEvent; such a message is poison."""


@dataclass(frozen=True)
class CloudEvent:
    """One vcio event. `type` is also the NATS subject it travels on."""

    type: str
    source: str
    tenantid: str
    data: dict[str, Any]
    subject: str | None = None
    id: str = field(default_factory=lambda: str(uuid7()))
    time: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())
    specversion: str = SPECVERSION
    datacontenttype: str = "application/json"
    # the message's bytes as they came off NATS, when decoded from one (a webhook sends exactly these)
    raw: bytes | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time,
            "tenantid": self.tenantid,
            "datacontenttype": self.datacontenttype,
            "data": self.data,
        }
        if self.subject is None:
            del out["subject"]
        return out


def encode(event: CloudEvent) -> bytes:
    """Serialise an event as structured-mode JSON."""
    return orjson.dumps(event.to_dict())


def decode(payload: bytes, *, subject: str | None = None) -> CloudEvent:
    """Parse and check a structured-mode event; raise EventDecodeError when it is not one."""
    try:
        raw = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise EventDecodeError(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise EventDecodeError("not a JSON object")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise EventDecodeError(f"missing attributes: {', '.join(missing)}")
    if raw["specversion"] != SPECVERSION:
        raise EventDecodeError(f"unsupported specversion {raw['specversion']!r}")
    if raw["datacontenttype"] != "application/json" or not isinstance(raw["data"], dict):
        raise EventDecodeError("data must be a JSON object")
    for key in ("id", "source", "type", "tenantid", "time"):
        if not isinstance(raw[key], str) or not raw[key]:
            raise EventDecodeError(f"{key} must be a non-empty string")
    if subject is not None and raw["type"] != subject:
        raise EventDecodeError(f"type {raw['type']!r} does not match subject {subject!r}")
    try:
        dt.datetime.fromisoformat(raw["time"])
    except ValueError as exc:
        raise EventDecodeError("time is not RFC 3339") from exc
    return CloudEvent(
        type=raw["type"],
        source=raw["source"],
        tenantid=raw["tenantid"],
        data=raw["data"],
        subject=raw.get("subject"),
        id=raw["id"],
        time=raw["time"],
        raw=payload,
    )


# One statement for any number of rows: arrays in, unnest out (executemany would be one round trip per row).
_INSERT = sa.text(
    "INSERT INTO outbox (id, tenant_id, type, payload, headers) "
    "SELECT id, tenant_id, type, payload, CAST(:headers AS jsonb) FROM unnest("
    "CAST(:ids AS uuid[]), CAST(:tenants AS text[]), CAST(:types AS text[]), CAST(:payloads AS bytea[])"
    ") AS t(id, tenant_id, type, payload)"
)


def _check_type(service: str, type_: str) -> None:
    """A service publishes only its own types, named vcio.<service>.<entity>.<action>."""
    if not _TYPE.match(type_) or not type_.startswith(f"vcio.{service}."):
        raise ValueError(f"{service} may not publish {type_!r}")


class Stamp(TypedDict, total=False):
    """What an event may take besides its type, tenant and data: its subject, and the clock's `now` for its time
    (the wall clock when absent)."""

    subject: str | None
    now: dt.datetime | None


def build(service: str, type_: str, tenant_id: str, data: Mapping[str, Any], **stamp: Unpack[Stamp]) -> CloudEvent:
    _check_type(service, type_)
    return CloudEvent(
        type=type_,
        source=f"/vcio/{service}",
        tenantid=tenant_id,
        data=dict(data),
        subject=stamp.get("subject"),
        time=(stamp.get("now") or dt.datetime.now(dt.UTC)).isoformat(),
    )


def encode_heads(
    service: str, type_: str, tenant_id: str, subjects: Sequence[str | None], *, now: dt.datetime
) -> list[tuple[str, bytes]]:
    """The fast form of `build` and `encode` for many events of one type at one time: for each subject, a new
    event id and the event's JSON up to its data (`finish` adds the data). Byte for byte what `encode` writes
    (shared/tests/test_events.py holds the two equal); only the id and subject differ from one event to the
    next, so the rest is serialised once, not once per event (a billing run emits one event per invoice)."""
    _check_type(service, type_)
    before_id = b'{"specversion":' + orjson.dumps(SPECVERSION) + b',"id":"'
    after_id = b'","source":' + orjson.dumps(f"/vcio/{service}") + b',"type":' + orjson.dumps(type_)
    tail = (
        b',"time":'
        + orjson.dumps(now.isoformat())
        + b',"tenantid":'
        + orjson.dumps(tenant_id)
        + b',"datacontenttype":"application/json","data":'
    )
    return [
        (
            event_id,
            b"".join(
                (
                    before_id,
                    event_id.encode(),
                    after_id,
                    b"" if subject is None else b',"subject":' + orjson.dumps(subject),
                    tail,
                )
            ),
        )
        for subject, event_id in zip(subjects, uuid7_strings(len(subjects)), strict=False)
    ]


def finish(head: bytes, data: bytes) -> bytes:
    """An event's JSON from its head (`encode_heads`) and its data's JSON (an object, as orjson writes it)."""
    return head + data + b"}"


async def emit(
    session: AsyncSession, service: str, type_: str, tenant_id: str, data: Mapping[str, Any], **stamp: Unpack[Stamp]
) -> CloudEvent:
    """Write one event to the outbox, in the caller's transaction: it is published only if that commits.
    Pass the injected clock's `now` so the event's `time` follows it."""
    event = build(service, type_, tenant_id, data, **stamp)
    await emit_many(session, [event])
    return event


async def emit_many(session: AsyncSession, events: Iterable[CloudEvent]) -> int:
    """Write many events to the outbox in one round trip (bulk operations such as billing runs)."""
    headers = orjson.dumps(current_trace_headers()).decode()
    batch = list(events)
    if batch:
        await session.execute(
            _INSERT,
            {
                "ids": [e.id for e in batch],
                "tenants": [e.tenantid for e in batch],
                "types": [e.type for e in batch],
                "payloads": [encode(e) for e in batch],
                "headers": headers,
            },
        )
        session.info["outbox_written"] = True
    return len(batch)


_INSERT_BATCH = sa.text(
    "INSERT INTO outbox (id, tenant_id, type, payload, headers, event_ids) "
    "VALUES (CAST(:id AS uuid), :tenant, :type, :payload, CAST(:headers AS jsonb), CAST(:ids AS uuid[]))"
)


async def emit_batch(
    session: AsyncSession, service: str, type_: str, tenant_id: str, ids: Sequence[str], payloads: Sequence[bytes]
) -> int:
    """Write events already serialised (each a CloudEvent's JSON, `ids[i]` its id) as ONE outbox row, in the
    caller's transaction: the bulk form of `emit_many`, for work that emits thousands of events of one type at
    once (a billing run's chunk). The relay publishes each as its own message with its own `Nats-Msg-Id`, in
    order, and deletes the row once JetStream has stored them all; one row instead of thousands to write, lock
    and delete. The JSON documents are joined by newlines, so none may hold a raw one (orjson never writes one)."""
    _check_type(service, type_)
    if len(ids) != len(payloads):
        raise ValueError(f"{len(ids)} ids for {len(payloads)} payloads")
    if not ids:
        return 0
    joined = b"\n".join(payloads)
    if joined.count(b"\n") != len(payloads) - 1:
        raise ValueError("an event's JSON holds a raw newline")
    await session.execute(
        _INSERT_BATCH,
        {
            "id": ids[0],
            "tenant": tenant_id,
            "type": type_,
            "payload": joined,
            "headers": orjson.dumps(current_trace_headers()).decode(),
            "ids": list(ids),
        },
    )
    session.info["outbox_written"] = True
    return len(ids)
