"""Structured JSON logs (structlog), with W3C trace context carried over HTTP and NATS headers."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog

_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)


def configure(service: str, level: str = "INFO") -> None:
    """JSON lines on stdout; every line names the service and carries the trace id when there is one."""
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=getattr(logging, level.upper(), logging.INFO))
    # httpx logs every request at INFO: a line per webhook attempt or API call, which the services log better
    for noisy in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _add_trace_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def new_traceparent() -> str:
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


def set_traceparent(value: str | None) -> None:
    """Adopt an incoming traceparent (HTTP header or NATS header) for this task."""
    if value is None or len(value) != 55 or value.count("-") != 3:
        value = new_traceparent()
    _traceparent.set(value)  # the log lines read it when they are written (binding per request costs more)


def _add_trace_id(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    value = _traceparent.get()
    if value is not None:
        event.setdefault("trace_id", value[3:35])
    return event


def current_trace_headers() -> dict[str, str]:
    value = _traceparent.get()
    return {"traceparent": value} if value else {}
