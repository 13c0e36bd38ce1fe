"""Process helpers: RSS sampling from /proc and optional py-spy profiles of a service process."""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def _own_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(_stat(int(entry.name))[1]) == pid:
                    out.append(int(entry.name))
    return out


def rss_mib(pid: int) -> float:
    """VmRSS of a service: its process and its children (the outbox relay runs as a child)."""
    total = _own_rss_mib(pid)
    for child in children(pid):
        with contextlib.suppress(OSError):
            total += _own_rss_mib(child)
    return total


class RssSampler:
    """Samples VmRSS of one process every `interval` seconds in a thread; `peak` is the highest seen."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0.0
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                v = rss_mib(self.pid)
                self.peak = max(self.peak, v)
                self.samples.append((time.monotonic() - t0, v))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


class Profile:
    """`py-spy record` of one process while the block runs, as collapsed stacks (`raw`) + a top-N summary.

    Does nothing (and says why in `.error`) when py-spy is missing or cannot attach."""

    def __init__(self, pid: int, path: Path, enabled: bool = True, rate: int = 100, native: bool = False) -> None:
        self.pid, self.path, self.enabled, self.rate, self.native = pid, path, enabled, rate, native
        self.proc: subprocess.Popen[bytes] | None = None
        self.error: str | None = None

    def __enter__(self) -> Profile:
        if not self.enabled:
            return self
        exe = py_spy()
        if exe is None:
            self.error = "py-spy not installed (.venv/bin/uv pip install --python .venv/bin/python py-spy)"
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                exe,
                "record",
                "--pid",
                str(self.pid),
                "--rate",
                str(self.rate),
                "--format",
                "raw",
                "--output",
                str(self.path),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.5)
        if self.proc.poll() is not None:
            self.error = (self.proc.stderr.read() if self.proc.stderr else b"").decode()[-500:]
            self.proc = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if not self.path.exists():
            self.error = err.decode()[-500:]

    def summary(self, top: int = 15) -> dict[str, list[tuple[str, float]]]:
        """Top functions by self and by inclusive share of the non-idle samples."""
        if not self.path.exists():
            return {}
        own: collections.Counter[str] = collections.Counter()
        inclusive: collections.Counter[str] = collections.Counter()
        total = 0
        for line in self.path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [f for f in stack.split(";") if f]
            if frames and _idle(frames[-1]):
                continue
            total += n
            if frames:
                own[_short(frames[-1])] += n
            for f in {_short(f) for f in frames}:
                inclusive[f] += n
        if not total:
            return {}
        ours = [(f, c) for f, c in inclusive.most_common() if not any(p in f for p in PLUMBING)]
        return {
            "self": [(f, round(100 * c / total, 1)) for f, c in own.most_common(top)],
            "inclusive": [(f, round(100 * c / total, 1)) for f, c in ours[: top * 2]],
            "samples": [("non-idle samples", float(total))],
        }


# frames on every stack (server, framework, middleware): left out of the inclusive list
PLUMBING = (
    "click/",
    "runpy",
    "uvicorn/",
    "asyncio/",
    "starlette/",
    "fastapi/",
    "anyio/",
    "vcio_shared/http.py",
    "security.py",
    "<module>",
)


def _short(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path, _, _line = where.rpartition(":")
    parts = Path(path).parts
    for anchor in ("site-packages", "src", "lib"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor) :]
            break
    return f"{name} ({'/'.join(parts[-3:])})"


def _idle(frame: str) -> bool:
    return any(k in frame for k in ("epoll_wait", "select (", "poll ("))


_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """User + system CPU of a process; with_children adds its live children and its reaped ones (PostgreSQL
    backends are children of the postmaster; a service's outbox relay is a child of the service)."""
    try:
        f = _stat(pid)
    except OSError:
        return 0.0
    total = int(f[11]) + int(f[12])
    if with_children:
        total += int(f[13]) + int(f[14])
        for child in children(pid):
            with contextlib.suppress(OSError, IndexError, ValueError):
                c = _stat(child)
                total += int(c[11]) + int(c[12])
    return total / _TICK


class CpuMeter:
    """CPU seconds used by named processes while the block runs."""

    def __init__(self, pids: dict[str, tuple[int, bool]]) -> None:
        self.pids = pids
        self.used: dict[str, float] = {}

    def __enter__(self) -> CpuMeter:
        self._start = {k: cpu_seconds(p, with_children=c) for k, (p, c) in self.pids.items()}
        return self

    def __exit__(self, *exc: object) -> None:
        self.used = {k: round(cpu_seconds(p, with_children=c) - self._start[k], 2) for k, (p, c) in self.pids.items()}
