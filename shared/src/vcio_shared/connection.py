"""The NATS connection a service process keeps (`Bus`), and its own JetStream stream.

Lean on purpose: nats-py and structlog only, so the relay child (`vcio_shared.relay`) can import it without the
app, FastAPI, SQLAlchemy or pydantic."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import nats
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import APIError

from vcio_shared.metrics import JETSTREAM_REFUSALS

log = structlog.get_logger("vcio.bus")
DUPLICATE_WINDOW_S = 120.0


async def cancel_and_wait(task: asyncio.Task[Any] | None, timeout: float = 3.0) -> None:
    """Cancel a background task and wait a bounded time: nats-py's fetch can swallow a cancellation."""
    if task is None or task.done():
        return
    task.cancel()
    await asyncio.wait([task], timeout=timeout)


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait for an event at most `timeout` seconds (asyncio.timeout: wait_for can lose a cancellation on 3.11)."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
        return True
    except TimeoutError:
        return False


def stream_name(service: str) -> str:
    """The JetStream stream a service publishes to: its name in capitals."""
    return service.upper()


class Bus:
    """One NATS connection per process, kept alive across server restarts."""

    def __init__(self, url: str, service: str, *, name: str | None = None, replicas: int = 1) -> None:
        self.url = url
        self.replicas = replicas
        self.service = service
        self.nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self.generation = 0  # bumped on every (re)connect, so consumers know to re-subscribe
        self._task: asyncio.Task[None] | None = None
        self._name = name or f"vcio-{service}"
        self.connected = asyncio.Event()

    @property
    def js(self) -> JetStreamContext:
        """The JetStream context; raises ConnectionError while NATS is down."""
        if self._js is None or self.nc is None or not self.nc.is_connected:
            raise ConnectionError("NATS is not connected")
        return self._js

    @property
    def is_connected(self) -> bool:
        """Whether the connection is up now."""
        return self.nc is not None and self.nc.is_connected

    async def wait_connected(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the connection; True once it is up.

        nats-py marks the connection down before its disconnected callback (which clears `connected`) gets to
        run. In between, waiting on the still-set event would return at once without yielding, and a loop
        around it would spin forever: the callback and the reconnect never run, and cancelled
        timers pile up. So in that window this sleeps a little instead."""
        if self.is_connected:
            return True
        if self.connected.is_set():
            await asyncio.sleep(0.05)
            return self.is_connected
        return await wait_event(self.connected, timeout)

    def start(self) -> None:
        """Connect in the background, retrying until the server answers."""
        self._task = asyncio.create_task(self._connect_forever(), name="nats-connect")

    async def _connect_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                self.nc = await nats.connect(
                    self.url,
                    name=self._name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    allow_reconnect=True,
                    ping_interval=5,
                    max_outstanding_pings=2,
                    reconnected_cb=self._on_reconnect,
                    disconnected_cb=self._on_disconnect,
                    error_cb=self._on_error,
                )
                self._js = self.nc.jetstream(timeout=5)
                await self.ensure_own_stream()
                self.generation += 1
                self.connected.set()
                log.info("nats connected", url=_redact(self.url))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # server not up yet: keep trying, readiness says so meanwhile
                log.warning("nats connect failed", error=str(exc) or type(exc).__name__)
                if self.nc is not None:
                    with contextlib.suppress(Exception):
                        await self.nc.close()
                    self.nc = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _on_reconnect(self) -> None:
        try:
            await self.ensure_own_stream()
        except Exception as exc:
            log.warning("stream check after reconnect failed", error=str(exc))
        self.generation += 1
        self.connected.set()
        log.info("nats reconnected")

    async def _on_disconnect(self) -> None:
        self.connected.clear()
        log.warning("nats disconnected")

    async def _on_error(self, exc: Exception) -> None:
        if isinstance(exc, APIError):  # a JetStream refusal (a publish_async's, which nats-py reports only here)
            JETSTREAM_REFUSALS.inc()
            log.warning("jetstream refused a request", error=str(exc))
        else:
            log.debug("nats error", error=str(exc) or type(exc).__name__)

    async def ensure_own_stream(self) -> None:
        """Create or update this service's stream: file storage, a 2-minute duplicate window."""
        assert self._js is not None
        config = StreamConfig(
            name=stream_name(self.service),
            subjects=[f"vcio.{self.service}.>"],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_S,
            num_replicas=self.replicas,
        )
        try:
            await self._js.add_stream(config)
        except Exception:
            await self._js.update_stream(config)

    async def close(self) -> None:
        """Stop connecting and close the connection."""
        await cancel_and_wait(self._task)
        if self.nc is not None:
            # close, not drain: every publish is acked and every fetch is unacked until handled, so nothing is
            # lost, and drain would wait out its timeout on the pull subscriptions.
            with contextlib.suppress(Exception):
                await self.nc.close()


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url
