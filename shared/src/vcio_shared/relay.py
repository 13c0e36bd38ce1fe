"""Publishing the outbox: the NATS connection (`Bus`), the relay (`OutboxRelay`), and the relay as a child
process of its service (`RelayProcess`, `VCIO_RELAY_PROCESS=1`, which `vcio dev` and deploy/ set).

Publishing is pure Python in nats-py: in one process it took a fifth of a 100,000-invoice billing run's CPU, on
the same interpreter lock as the run itself and as the API. As a child, it runs on the other core. The parent
wakes it through a pipe after every commit that wrote outbox rows (what `OutboxRelay.wake` does in-process),
restarts it if it dies, and takes it down with itself: the child stops when the pipe closes, and the kernel
signals it if the parent is killed outright. At-least-once and order are the relay's own: which process runs
it changes nothing, and two relays (a restart racing an old child) share rows by SKIP LOCKED.

The child is lean: this module imports only what relaying needs (nats-py, asyncpg, structlog, prometheus-client),
never the service's app, FastAPI, SQLAlchemy or pydantic, so a child takes a third of a service's memory. In the
child the relay reads and deletes outbox rows over a bare asyncpg pool; in-process, over the asyncpg connection
under a SQLAlchemy session. The child's counters reach the service's `/metrics`: every quarter second, when they
changed, it writes its totals (`metrics.totals`) to a second pipe, and the parent adds what grew since that
child's previous report to its own metrics (`metrics.add_totals`). Totals, not increments, so a lost or repeated
report miscounts nothing; a restarted child starts from zero, and the parent's counters go on from where the
dead child's last report left them.

Run as `python -c "$CHILD" <service> <wake fd> <report fd>` (or `python -m vcio_shared.relay ...`) with its
settings in VCIO_RELAY_SETTINGS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, NamedTuple

import asyncpg
import nats
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import PubAck, StorageType, StreamConfig
from nats.js.errors import APIError

from vcio_shared import logging as vlog
from vcio_shared.embedded import die_with_parent
from vcio_shared.metrics import EVENTS_PUBLISHED, JETSTREAM_REFUSALS, add_totals, totals

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from vcio_shared.settings import Settings

log = structlog.get_logger("vcio.bus")
relay_log = structlog.get_logger("vcio.relay")
DUPLICATE_WINDOW_S = 120.0
SETTINGS_ENV = "VCIO_RELAY_SETTINGS"
REPORT_INTERVAL_S = 0.25
# The child's command. structlog imports Rich (and Pygments) when it is installed, for console tracebacks the
# JSON logs never use; marked missing, it is not loaded (5 MiB less in each child).
CHILD = "import sys; sys.modules['rich'] = None; from vcio_shared.relay import main; main()"


async def cancel_and_wait(task: asyncio.Task[None] | None, timeout: float = 3.0) -> None:
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
        if self._js is None or self.nc is None or not self.nc.is_connected:
            raise ConnectionError("NATS is not connected")
        return self._js

    @property
    def is_connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def wait_connected(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the connection; True once it is up.

        nats-py marks the connection down before its disconnected callback (which clears `connected`) gets to
        run. In between, waiting on the still-set event would return at once without yielding, and a loop
        around it would spin forever: the callback and the reconnect never run (a relay child did this, and
        piled up gigabytes of cancelled timers). So in that window this sleeps a little instead."""
        if self.is_connected:
            return True
        if self.connected.is_set():
            await asyncio.sleep(0.05)
            return self.is_connected
        return await wait_event(self.connected, timeout)

    def start(self) -> None:
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
        await cancel_and_wait(self._task)
        if self.nc is not None:
            # close, not drain: every publish is acked and every fetch is unacked until handled, so nothing is
            # lost, and drain would wait out its timeout on the pull subscriptions.
            with contextlib.suppress(Exception):
                await self.nc.close()


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


ACK_TIMEOUT_S = 10.0


class Outgoing(NamedTuple):
    """One event of an outbox row, ready to publish: `Nats-Msg-Id` (the event id) is in its headers."""

    id: str
    subject: str
    payload: bytes
    headers: dict[str, str]


def batch_stored(first: PubAck, last: PubAck, n: int) -> bool:
    """Whether the acks of a checked batch's first and last message prove the n - 2 between were stored.

    The server stores one connection's messages in the order they were sent, so when neither end is a
    duplicate, both landed in the same stream and they are exactly n - 1 sequence numbers apart, every middle
    message took one of the sequence numbers between. Fewer means one was refused or was a duplicate (a gap);
    more means another publisher's message came between. Either way the batch goes again, message by message.
    Only this service's relays publish to its stream, so a gap could hide only behind exactly as many messages
    of another replica's relay, in the same instant; the usual cause of a silent loss, a reconnect, is checked
    separately.
    """
    return not first.duplicate and not last.duplicate and first.stream == last.stream and last.seq - first.seq == n - 1


# The oldest unpublished rows that no other relay holds, up to `n` events: a batch row counts as its events,
# and the first row is taken whatever its size (rows locked past the cut are let go at commit). Text, not uuid
# and jsonb: the ids go out as text, and a batch's rows mostly share one headers value, decoded once.
_CLAIM = (
    "WITH free AS ("
    " SELECT seq, coalesce(cardinality(event_ids), 1) AS events FROM outbox WHERE published_at IS NULL"
    " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED"
    "), head AS (SELECT seq, sum(events) OVER (ORDER BY seq) - events AS before FROM free) "
    "SELECT o.id::text, o.type, o.payload, o.headers::text, o.event_ids::text[] "
    "FROM outbox o JOIN head USING (seq) WHERE head.before < $1 ORDER BY o.seq"
)
_DELETE = "DELETE FROM outbox WHERE id = ANY($1::text[]::uuid[])"


class OutboxRelay:
    """Publishes committed outbox rows in commit (sequence) order, then deletes them. A batch row
    (`events.emit_batch`) goes out as one message per event, in its order, and is deleted once all are stored.

    The stream is the event log; the outbox is only the queue in front of it, so a published row is deleted
    (rows that an older relay marked `published_at` are left alone). Replicas share the work with
    `FOR UPDATE SKIP LOCKED`. `Nats-Msg-Id` is the event id, so a row published twice (a crash between
    publish and delete, or a checked batch sent again one by one) is dropped by the stream's duplicate window.

    A batch is a "checked batch": the first and last rows are published with an ack, the rows between as
    plain core publishes with no reply (JetStream stores them all the same, and acks cost the client far
    more CPU than the publish). The two acks prove the middle was stored (`batch_stored`); when they do not,
    or a reconnect happened meanwhile, the batch is published again with an ack per row and only the acked
    prefix is deleted, as before.

    `sessionmaker` is the service's SQLAlchemy sessionmaker (in-process) or a bare asyncpg pool (the child);
    either way the two statements run on asyncpg, in one transaction.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession] | asyncpg.Pool,
        bus: Bus,
        *,
        batch_size: int = 1000,
        poll_interval: float = 0.5,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bus = bus
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.fallbacks = 0  # checked batches that had to go again one by one
        self.ack_timeout = ACK_TIMEOUT_S
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        delay = 0.2
        while not self._stopping:
            try:
                if not await self.bus.wait_connected(5):
                    continue
                sent = await self.relay_once()
                delay = 0.2
                if sent >= self.batch_size:
                    continue
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                # No acks in time: NATS is slow or away (the connection's own logs say which), or the stream
                # refused a message, which nats-py leaves unanswered (nats.py issue #985; Bus._on_error logs
                # the refusal). Nothing was deleted: the rows go again.
                log.warning("outbox relay: no JetStream acks in time; publishing again", timeout_s=self.ack_timeout)
                continue
            except Exception as exc:
                log.warning("outbox relay failed; backing off", error=str(exc) or type(exc).__name__, delay=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._wake.clear()
            await wait_event(self._wake, self.poll_interval)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        if isinstance(self.sessionmaker, asyncpg.Pool):
            async with self.sessionmaker.acquire() as conn, conn.transaction():
                yield conn
            return
        async with self.sessionmaker() as session, session.begin():
            raw = await (await session.connection()).get_raw_connection()
            yield raw.driver_connection  # type: ignore[misc]

    async def relay_once(self) -> int:
        """Publish one batch; returns how many events were published (their rows deleted)."""
        async with self._transaction() as conn:
            rows = await conn.fetch(_CLAIM, self.batch_size)
            if not rows:
                return 0
            decoded: dict[str, dict[str, str]] = {}
            batch: list[Outgoing] = []
            ends: list[tuple[str, int]] = []  # each row's id, and how many messages up to its last
            for row_id, subject, payload, headers, event_ids in rows:
                base = decoded.get(headers)
                if base is None:
                    base = decoded[headers] = json.loads(headers)
                if event_ids is None:
                    batch.append(Outgoing(row_id, subject, bytes(payload), {**base, "Nats-Msg-Id": row_id}))
                else:  # a batch row (events.emit_batch): one message per line, each with its own event id
                    batch.extend(
                        Outgoing(event_id, subject, part, {**base, "Nats-Msg-Id": event_id})
                        for event_id, part in zip(event_ids, bytes(payload).split(b"\n"), strict=True)
                    )
                ends.append((row_id, len(batch)))
            if len(batch) > 1 and await self._publish_checked(batch):
                sent, error = len(batch), None
            else:
                sent, error = await self._publish_each(batch)
            # A row goes once all its events are stored; a batch row cut short goes again whole, and the stream
            # drops the events it already holds (Nats-Msg-Id).
            done = [row_id for row_id, end in ends if end <= sent]
            if done:
                await conn.execute(_DELETE, done)
        # Raised after the commit, so the acked prefix stays deleted; the rest goes again next time.
        EVENTS_PUBLISHED.inc(sent)
        if error is not None:
            raise ConnectionError(f"publish failed: {error!r}")
        return sent

    async def _publish_checked(self, batch: list[Outgoing]) -> bool:
        """Publish a batch with acks on its ends only; True when they prove every row was stored."""
        js = self.bus.js
        nc = self.bus.nc
        assert nc is not None  # `js` raised otherwise
        reconnects = nc.stats["reconnects"]
        head, tail = batch[0], batch[-1]
        futures = [await js.publish_async(head.subject, head.payload, headers=head.headers)]
        try:
            for m in batch[1:-1]:
                await nc.publish(m.subject, m.payload, headers=m.headers)
            futures.append(await js.publish_async(tail.subject, tail.payload, headers=tail.headers))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        # No explicit flush: nats-py writes in order, so the last ack means the middle reached the server too.
        # No ack in time raises, as before (a server that acks neither end would not ack the rows one by one).
        first, last = await _gather_acks(futures, self.ack_timeout)
        proven = isinstance(first, PubAck) and isinstance(last, PubAck) and batch_stored(first, last, len(batch))
        if proven and nc.stats["reconnects"] == reconnects:  # a reconnect may have lost some of the middle
            return True
        self.fallbacks += 1
        log.info(
            "checked batch not proven; publishing it one by one",
            rows=len(batch),
            first=_describe(first),
            last=_describe(last),
        )
        return False

    async def _publish_each(self, batch: list[Outgoing]) -> tuple[int, BaseException | None]:
        """Publish every row with an ack; returns the length of the acked prefix and the first failure."""
        js = self.bus.js
        futures = []
        try:
            for m in batch:
                futures.append(await js.publish_async(m.subject, m.payload, headers=m.headers))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        results = await _gather_acks(futures, self.ack_timeout)
        for i, result in enumerate(results):
            if isinstance(result, BaseException):
                return i, result  # keep order: the rest goes again next time (duplicates are dropped by Nats-Msg-Id)
        return len(results), None


async def _gather_acks(futures: list[asyncio.Future[PubAck]], timeout: float) -> list[PubAck | BaseException]:
    """Wait for every ack (failures come back as exceptions); past the timeout nothing counts as sent."""
    gathered = asyncio.gather(*futures, return_exceptions=True)
    try:
        async with asyncio.timeout(timeout):
            return await gathered
    except BaseException:
        gathered.cancel()  # stopping, or no acks in time: the rows stay unsent and go again
        raise


def _describe(ack: PubAck | BaseException) -> str:
    if isinstance(ack, BaseException):
        return repr(ack)[:200]
    return f"{ack.stream}:{ack.seq}{' duplicate' if ack.duplicate else ''}"


class RelayProcess:
    """The parent's side: the same `start` / `wake` / `stop` as `OutboxRelay`, so the runtime holds either."""

    def __init__(self, settings: Settings, service: str, *, check_every: float = 1.0) -> None:
        self.settings = settings
        self.service = service
        self.check_every = check_every
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._wake_fd: int | None = None
        self._report_fds: set[int] = set()
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._spawn()
        self._watch = asyncio.create_task(self._supervise(), name="outbox-relay-process")

    def child_settings(self) -> str:
        """What the child reads (it has no pydantic): a libpq URL for asyncpg, the bus and the relay's knobs."""
        s = self.settings
        return json.dumps(
            {
                "database_url": s.async_database_url.replace("postgresql+asyncpg://", "postgresql://", 1),
                "nats_url": s.nats_url,
                "stream_replicas": s.stream_replicas,
                "relay_batch_size": s.relay_batch_size,
                "relay_poll_interval": s.relay_poll_interval,
                "log_level": s.log_level,
            }
        )

    def _spawn(self) -> None:
        wake_read, wake_write = os.pipe()
        report_read, report_write = os.pipe()
        os.set_blocking(wake_write, False)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", CHILD, self.service, str(wake_read), str(report_write)],
                env={**os.environ, SETTINGS_ENV: self.child_settings()},
                pass_fds=(wake_read, report_write),
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, before exec
            )
        except BaseException:
            for fd in (wake_write, report_read):
                os.close(fd)
            raise
        finally:
            os.close(wake_read)
            os.close(report_write)
        if self._wake_fd is not None:
            os.close(self._wake_fd)
        self._wake_fd = wake_write
        self._read_reports(report_read)
        relay_log.info("outbox relay process started", pid=self.proc.pid, service=self.service)

    def _read_reports(self, fd: int) -> None:
        """Add each report of this child to the service's metrics, against this child's own previous report."""
        loop = asyncio.get_running_loop()
        seen: dict[str, float] = {}
        pending = bytearray()
        os.set_blocking(fd, False)
        self._report_fds.add(fd)

        def on_report() -> None:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:  # the child exited: its last report is in
                self._close_reports(fd)
                return
            pending.extend(data)
            *lines, rest = bytes(pending).split(b"\n")
            pending[:] = rest
            if lines:
                try:
                    add_totals(json.loads(lines[-1]), seen)  # totals: the newest report holds all before it
                except (ValueError, TypeError, KeyError) as exc:
                    relay_log.warning("unreadable relay metrics report", error=str(exc))

        loop.add_reader(fd, on_report)

    def _close_reports(self, fd: int) -> None:
        if fd in self._report_fds:
            self._report_fds.discard(fd)
            asyncio.get_running_loop().remove_reader(fd)
            os.close(fd)

    def wake(self) -> None:
        if self._wake_fd is None:
            return
        # A full pipe already holds more wake-ups than the child needs; a dead child is restarted and polls.
        with contextlib.suppress(BlockingIOError, BrokenPipeError, OSError):
            os.write(self._wake_fd, b"\0")

    async def _supervise(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.check_every)
            if self.proc is not None and self.proc.poll() is not None and not self._stopping:
                relay_log.warning("outbox relay process exited; restarting", code=self.proc.returncode)
                self.restarts += 1
                self._spawn()

    async def stop(self) -> None:
        self._stopping = True
        await cancel_and_wait(self._watch)
        if self._wake_fd is not None:
            os.close(self._wake_fd)  # the child sees the pipe close and stops after its batch in flight
            self._wake_fd = None
        if self.proc is not None and self.proc.poll() is None:
            try:
                await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 10)
            except TimeoutError:
                self.proc.kill()
                await asyncio.to_thread(self.proc.wait)
        await asyncio.sleep(0)  # let a last report that arrived with the exit be read
        for fd in list(self._report_fds):
            self._close_reports(fd)


class _Reporter:
    """The child's side of the metrics: its totals, written to the parent when they changed.

    The pipe is non-blocking: a parent that does not read for a while never stalls the relay; what did not fit
    is written on a later tick, and a newer report waits until the older one is out (lines stay whole)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.last: dict[str, float] = {}
        self.unsent = b""
        os.set_blocking(fd, False)

    def report(self) -> None:
        if not self.unsent:
            now = totals()
            if now == self.last:
                return
            self.last = now
            self.unsent = json.dumps(now, separators=(",", ":")).encode() + b"\n"
        try:
            written = os.write(self.fd, self.unsent)
        except BlockingIOError:
            return
        except OSError:  # the parent is gone; the pipe from it closes too, and the child stops
            self.unsent = b""
            return
        self.unsent = self.unsent[written:]

    async def run(self) -> None:
        while True:
            await asyncio.sleep(REPORT_INTERVAL_S)
            self.report()


async def _serve(settings: dict[str, Any], service: str, wake_fd: int, report_fd: int) -> None:
    pool = await asyncpg.create_pool(
        settings["database_url"],
        min_size=0,  # connects at the first batch: the child may start while PostgreSQL is still coming up
        max_size=1,
        timeout=5,
        command_timeout=60,
        server_settings={"jit": "off"},
    )
    bus = Bus(settings["nats_url"], service, replicas=int(settings["stream_replicas"]))
    relay = OutboxRelay(
        pool,
        bus,
        batch_size=int(settings["relay_batch_size"]),
        poll_interval=float(settings["relay_poll_interval"]),
    )
    reporter = _Reporter(report_fd)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def on_wake() -> None:
        try:
            data = os.read(wake_fd, 65536)
        except BlockingIOError:
            return
        if data:
            relay.wake()
        else:  # the parent closed its end: it is stopping, or gone
            loop.remove_reader(wake_fd)
            done.set()

    os.set_blocking(wake_fd, False)
    loop.add_reader(wake_fd, on_wake)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    bus.start()
    relay.start()
    reporting = asyncio.create_task(reporter.run(), name="relay-metrics")
    try:
        await done.wait()
    finally:
        await relay.stop()
        await cancel_and_wait(reporting)
        reporter.report()  # what the last batch published
        await bus.close()
        await pool.close()


def main() -> None:
    import uvloop

    service, wake_fd, report_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    settings = json.loads(os.environ[SETTINGS_ENV])
    vlog.configure(f"{service}-relay", settings.get("log_level", "INFO"))
    uvloop.run(_serve(settings, service, wake_fd, report_fd))


if __name__ == "__main__":
    main()
