"""The embedded SMTP sink: keeps every message it receives as an .eml file, for `vcio mail` to show.

Run as a child process (`python -m vcio_shared.mail.sink --port P --dir D`), as nats-server is; `start_sink`
starts one and waits until it answers. Files are named `<arrival ns>-<pid>.eml`, so a sorted listing is the
order of arrival, and are written under a temporary name first, so a reader never sees half a message."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from vcio_shared.embedded import die_with_parent

SUFFIX = ".eml"
_sequence = itertools.count()


def mail_dir(data_dir: str | Path) -> Path:
    """Where the sink of a data directory keeps its messages (`VCIO_DATA_DIR/mail/`)."""
    return Path(data_dir) / "mail"


def store(directory: Path, content: bytes) -> Path:
    """Write one message atomically; its name sorts after every earlier one."""
    name = f"{time.time_ns():020d}-{next(_sequence):06d}"
    temporary = directory / f".{name}.tmp"
    temporary.write_bytes(content)
    final = directory / f"{name}{SUFFIX}"
    os.replace(temporary, final)
    return final


class SinkHandler:
    """aiosmtpd handler: accepts every recipient and stores each message once, whoever it is addressed to."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        content = envelope.original_content or envelope.content
        store(self.directory, content if isinstance(content, bytes) else content.encode())
        return "250 OK stored"


def serve(port: int, directory: Path, host: str = "127.0.0.1") -> None:
    """Serve until SIGTERM or SIGINT."""
    from aiosmtpd.controller import Controller

    controller = Controller(SinkHandler(directory), hostname=host, port=port, data_size_limit=50 * 1024 * 1024)
    controller.start()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"vcio mail sink on {host}:{port}, storing in {directory}", flush=True)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()
        loop.close()


def _answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            return sock.recv(3) == b"220"
    except OSError:
        return False


def start_sink(data_dir: str | Path, port: int, *, timeout: float = 10.0) -> subprocess.Popen[bytes]:
    """Start the sink as a child process storing under `data_dir/mail/` (its output in
    `data_dir/mail-sink.log`), and return once it answers SMTP.
    Stop it with `stop_sink(process)` (SIGTERM, then SIGKILL after 5 s)."""
    directory = mail_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "vcio_shared.mail.sink", "--port", str(port), "--dir", str(directory)]
    log_path = Path(data_dir) / "mail-sink.log"
    with log_path.open("ab") as log_file:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    deadline = time.monotonic() + timeout
    while not _answers(port):
        if process.poll() is not None:
            output = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the mail sink exited with {process.returncode}: {output}")
        if time.monotonic() > deadline:
            stop_sink(process)
            raise TimeoutError(f"the mail sink did not answer on port {port} within {timeout} s")
        time.sleep(0.05)
    return process


def stop_sink(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vcio_shared.mail.sink", description=__doc__)
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    serve(args.port, args.dir, args.host)


if __name__ == "__main__":
    main()
