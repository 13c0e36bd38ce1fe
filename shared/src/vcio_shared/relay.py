"""The outbox relay as a child process of its service (`RelayProcess`, `VCIO_RELAY_PROCESS=1`, which `vcio dev`
and deploy/ set). The NATS connection is `vcio_shared.connection`, the relay itself `vcio_shared.outbox`.

Publishing is pure Python in nats-py and would share the interpreter lock with the API and a billing run; as a
child it runs on another core. The parent wakes it through a pipe after every commit that wrote outbox rows
(the session factory's hook, `db.make_sessionmaker`), restarts it if it dies, and takes it down with itself: the
child stops when the pipe closes, and the kernel signals it if the parent is killed outright. At-least-once and
order are the relay's own: which process runs it changes nothing, and two relays (a restart racing an old child)
share rows by SKIP LOCKED.

The child is lean: it imports only what relaying needs (nats-py, asyncpg, structlog, prometheus-client), never
the service's app, FastAPI, SQLAlchemy or pydantic, so it takes a fraction of a service's memory. It reads and
deletes outbox rows over a bare asyncpg pool. Its counters reach the service's `/metrics`: every quarter second,
when they changed, it writes its totals (`metrics.totals`) to a second pipe, and the parent adds what grew since
that child's previous report (`metrics.add_totals`). Totals, not increments, so a lost or repeated report
miscounts nothing; after a restart the parent's counters go on from the dead child's last report.

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
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog

from vcio_shared import logging as vlog
from vcio_shared.connection import Bus, cancel_and_wait
from vcio_shared.embedded import die_with_parent
from vcio_shared.metrics import add_totals, totals
from vcio_shared.outbox import OutboxRelay

if TYPE_CHECKING:
    from vcio_shared.settings import Settings

relay_log = structlog.get_logger("vcio.relay")
SETTINGS_ENV = "VCIO_RELAY_SETTINGS"
REPORT_INTERVAL_S = 0.25
# The child's command. structlog imports Rich (and Pygments) when it is installed, for console tracebacks the
# JSON logs never use; marked missing, it is not loaded (5 MiB less in each child).
CHILD = "import sys; sys.modules['rich'] = None; from vcio_shared.relay import main; main()"


def _read_ready(fd: int) -> bytes | None:
    """What a non-blocking pipe holds: None when nothing is there yet, b"" when its other end is closed."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""


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
        """Start the child and the watch that restarts it."""
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
            data = _read_ready(fd)
            if data is None:
                return
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
        """Tell the child to publish now: one byte down the pipe, never blocking."""
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
        """Close the pipe (the child stops after its batch), wait for it, read its last report."""
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
        """Write the totals if they changed since the last report."""
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
        """Report every `REPORT_INTERVAL_S` seconds."""
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
        data = _read_ready(wake_fd)
        if data is None:
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
    """The child: read the settings and pipes from the command line and environment, relay until told to stop."""
    import uvloop

    service, wake_fd, report_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    settings = json.loads(os.environ[SETTINGS_ENV])
    vlog.configure(f"{service}-relay", settings.get("log_level", "INFO"))
    uvloop.run(_serve(settings, service, wake_fd, report_fd))


if __name__ == "__main__":
    main()
