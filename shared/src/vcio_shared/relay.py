"""The outbox relay in a child process of its service (`VCIO_RELAY_PROCESS=1`, which `vcio dev` sets).

Publishing is pure Python in nats-py: in one process it took a fifth of a 100,000-invoice billing run's CPU, on
the same interpreter lock as the run itself and as the API. As a child, it runs on the other core. The parent
wakes it through a pipe after every commit that wrote outbox rows (what `OutboxRelay.wake` does in-process),
restarts it if it dies, and takes it down with itself: the child stops when the pipe closes, and the kernel
signals it if the parent is killed outright. At-least-once and order are the relay's own (`vcio_shared.bus`):
which process runs it changes nothing, and two relays (a restart racing an old child) share rows by SKIP LOCKED.

Run as `python -m vcio_shared.relay <service> <pipe fd>` with the service's settings in VCIO_RELAY_SETTINGS.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys

import structlog
import uvloop

from vcio_shared import logging as vlog
from vcio_shared.bus import Bus, OutboxRelay, cancel_and_wait
from vcio_shared.db import create_engine, make_sessionmaker
from vcio_shared.embedded import die_with_parent
from vcio_shared.settings import Settings

log = structlog.get_logger("vcio.relay")
SETTINGS_ENV = "VCIO_RELAY_SETTINGS"


class RelayProcess:
    """The parent's side: the same `start` / `wake` / `stop` as `OutboxRelay`, so the runtime holds either."""

    def __init__(self, settings: Settings, service: str, *, check_every: float = 1.0) -> None:
        self.settings = settings
        self.service = service
        self.check_every = check_every
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._wake_fd: int | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._spawn()
        self._watch = asyncio.create_task(self._supervise(), name="outbox-relay-process")

    def _spawn(self) -> None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "vcio_shared.relay", self.service, str(read_fd)],
                env={**os.environ, SETTINGS_ENV: self.settings.model_dump_json()},
                pass_fds=(read_fd,),
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, before exec
            )
        finally:
            os.close(read_fd)
        if self._wake_fd is not None:
            os.close(self._wake_fd)
        self._wake_fd = write_fd
        log.info("outbox relay process started", pid=self.proc.pid, service=self.service)

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
                log.warning("outbox relay process exited; restarting", code=self.proc.returncode)
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


async def _serve(settings: Settings, service: str, wake_fd: int) -> None:
    engine = create_engine(settings.async_database_url, pool_size=2, max_overflow=0)
    bus = Bus(settings.nats_url, service, replicas=settings.stream_replicas)
    relay = OutboxRelay(
        make_sessionmaker(engine),
        bus,
        batch_size=settings.relay_batch_size,
        poll_interval=settings.relay_poll_interval,
    )
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
    try:
        await done.wait()
    finally:
        await relay.stop()
        await bus.close()
        await engine.dispose()


def main() -> None:
    service, wake_fd = sys.argv[1], int(sys.argv[2])
    settings = Settings.model_validate_json(os.environ[SETTINGS_ENV])
    vlog.configure(f"{service}-relay", settings.log_level)
    uvloop.run(_serve(settings, service, wake_fd))


if __name__ == "__main__":
    main()
