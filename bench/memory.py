"""The platform's memory at rest: `vcio dev` started as `make run` starts it, ready and idle, its whole process
tree summed by PSS (and RSS) per role, beside bare processes measured the same way.

PSS (`/proc/<pid>/smaps_rollup`) charges each shared page to the processes mapping it in equal parts, so
PostgreSQL's shared buffers and the libraries every Python process maps count once in the sum, not once per
process as in RSS. It is measured with nothing else of the bench running: pages shared with another vcio
process outside the tree would lower the figure. `python -m bench.memory` runs this figure alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.results import Figure, Results, console
from vcio_shared.embedded import nats_server_binary
from vcio_shared.settings import SERVICES

TARGET_MIB = 600
ROLES = ("services", "relay children", "supervisor", "nats-server", "postgres", "other")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory_kib(pid: int) -> dict[str, int]:
    """Pss, Rss and Private (USS) of one process, in KiB, from smaps_rollup."""
    out = {"pss": 0, "rss": 0, "uss": 0}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key == "Pss":
            out["pss"] = int(rest.split()[0])
        elif key == "Rss":
            out["rss"] = int(rest.split()[0])
        elif key in ("Private_Clean", "Private_Dirty"):
            out["uss"] += int(rest.split()[0])
    return out


def tree(root: int) -> list[int]:
    """`root` and every process below it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
                parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def role(pid: int, root: int) -> str:
    if pid == root:
        return "supervisor"
    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    if "vcio_shared.relay" in cmd:
        return "relay children"
    if "uvicorn" in cmd:
        return "services"
    if "nats-server" in cmd:
        return "nats-server"
    if "postgres" in cmd:  # the postmaster and its backends (their titles start "postgres: ")
        return "postgres"
    return "other"


def by_role(root: int) -> dict[str, dict[str, float]]:
    """PSS, RSS and USS in MiB, and the process count, per role of the tree under `root`."""
    sums = {r: {"pss": 0.0, "rss": 0.0, "uss": 0.0, "processes": 0} for r in ROLES}
    for pid in tree(root):
        try:
            kind = role(pid, root)
            mem = memory_kib(pid)
        except OSError:  # gone while we looked
            continue
        sums[kind]["processes"] += 1
        for k in ("pss", "rss", "uss"):
            sums[kind][k] += mem[k] / 1024
    return {r: {k: round(v, 1) for k, v in s.items()} for r, s in sums.items() if s["processes"]}


def bare(args: list[str], settle: float = 1.5) -> dict[str, float]:
    """PSS and RSS (MiB) of one bare process, alone, after it settled."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(settle)
        mem = memory_kib(proc.pid)
        return {"pss": round(mem["pss"] / 1024, 1), "rss": round(mem["rss"] / 1024, 1)}
    finally:
        proc.terminate()
        proc.wait(10)


def _wait_ready(proc: subprocess.Popen[bytes], ports: dict[str, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = set(ports)
    with httpx.Client(timeout=2) as http:
        while pending:
            if proc.poll() is not None:
                raise RuntimeError(f"vcio dev exited with {proc.returncode}")
            for service in sorted(pending):
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"http://127.0.0.1:{ports[service]}/readyz").status_code == 200:
                        pending.discard(service)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout}s: {', '.join(sorted(pending))}")
            time.sleep(0.2)


def measure_platform(idle: float = 8.0, keep: bool = False) -> tuple[dict[str, dict[str, float]], float]:
    """Start `vcio dev` (the `make run` command) on free ports and a throwaway data directory, wait until every
    service is ready, let it idle, and sum its tree per role. Returns the roles and the seconds to ready."""
    tmp = Path(tempfile.mkdtemp(prefix="vcio-bench-mem-"))
    tmp.chmod(0o755)  # the embedded postgres runs as its own user and must reach its data directory
    ports = {s: _free_port() for s in SERVICES}
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k == "NATS_URL" or k.endswith("_DATABASE_URL") or k.startswith("VCIO_"))
    }
    env.update(
        {
            "VCIO_DATA_DIR": str(tmp / "data"),
            "VCIO_NATS_PORT": str(_free_port()),
            "VCIO_PG_PORT": str(_free_port()),
            "VCIO_SMTP_PORT": str(_free_port()),
            "CONSOLE_PORT": str(_free_port()),
            **{f"{s.upper()}_PORT": str(p) for s, p in ports.items()},
        }
    )
    vcio = Path(sys.executable).parent / "vcio"
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(vcio), "dev", "--tenant", "bench"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_ready(proc, ports, 180)
        ready_s = time.monotonic() - started
        time.sleep(idle)
        return by_role(proc.pid), ready_s
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C: vcio dev stops what it started
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def run(results: Results, idle: float = 8.0, keep: bool = False) -> None:
    roles, ready_s = measure_platform(idle, keep)
    python = bare([sys.executable, "-c", "import time; time.sleep(60)"])
    with tempfile.TemporaryDirectory(prefix="vcio-bench-nats-") as store:
        nats = bare([nats_server_binary(), "-a", "127.0.0.1", "-p", str(_free_port()), "-js", "-sd", store])
    total_pss = round(sum(r["pss"] for r in roles.values()), 1)
    total_rss = round(sum(r["rss"] for r in roles.values()), 1)
    pythons = sum(int(roles.get(r, {}).get("processes", 0)) for r in ("services", "relay children", "supervisor"))
    # The floor of this shape: as many bare interpreters as the platform runs, and one bare nats-server.
    floor = round(pythons * python["pss"] + nats["pss"], 1)
    for name, r in roles.items():
        console.print(
            f"    {name:<15} {int(r['processes']):>3} processes  PSS {r['pss']:>7.1f} MiB  RSS {r['rss']:>7.1f} MiB"
        )
    results.add(
        Figure(
            name="platform_pss_at_rest",
            value=total_pss,
            unit="MiB",
            baseline=f"{pythons} bare python processes + a bare nats-server (PSS, each started alone)",
            baseline_value=floor,
            ratio=round(floor / total_pss, 3) if total_pss else None,
            target=f"≤ {TARGET_MIB} MiB PSS",
            met=total_pss <= TARGET_MIB,
            note=f"RSS {total_rss} MiB; ready in {ready_s:.1f} s, then {idle:g} s idle",
            extra={
                "roles": roles,
                "total_rss_mib": total_rss,
                "bare_python": python,
                "bare_nats_server": nats,
                "idle_seconds": idle,
                "ready_seconds": round(ready_s, 1),
            },
        )
    )


if __name__ == "__main__":
    res = Results()
    run(res)
    console.print(res.table())
