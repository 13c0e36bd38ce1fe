"""API figures: a real load generator (wrk, 32 connections) against a real service and against the bare app.

wrk is Debian's `wrk`; when it is missing the bench tries `apt-get install -y wrk` (as root), and falls back to
a Python load generator (httpx, same connection count) when that fails. Each measurement is preceded by a short
warm-up that is not counted. Service and bare app run under the same uvicorn settings (uvloop, httptools, 1
worker, no access log)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import flow
from bench.figures import ceiling_figure, rate_figure
from bench.pglog import StatementLog
from bench.procs import CpuMeter, Profile
from bench.results import Results, console
from bench.stack import Stack, free_port
from bench.stats import percentile

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Load:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    tool: str
    cpu: dict[str, float] | None = None
    rate: float | None = None  # set when rounds were combined (median_of)
    rounds: list[int] | None = None

    def cpu_ms_per_request(self, name: str) -> float | None:
        if not self.cpu or name not in self.cpu or not self.requests:
            return None
        return round(1000 * self.cpu[name] / self.requests, 3)

    @property
    def rps(self) -> float:
        return self.rate if self.rate is not None else (self.requests - self.non_2xx) / self.seconds


def median_of(loads: list[Load]) -> Load:
    """Rounds of one measurement as one: the median round's rate and percentiles (this VM's speed drifts over
    a run, and interleaved rounds of service and baseline see the same drift), every request and CPU second."""
    by_rate = sorted(loads, key=lambda x: x.rps)
    mid = by_rate[len(by_rate) // 2]
    cpu: dict[str, float] = {}
    for load in loads:
        for name, used in (load.cpu or {}).items():
            cpu[name] = cpu.get(name, 0.0) + used
    return Load(
        requests=sum(x.requests for x in loads),
        seconds=sum(x.seconds for x in loads),
        non_2xx=sum(x.non_2xx for x in loads),
        socket_errors=sum(x.socket_errors for x in loads),
        p50_ms=sorted(x.p50_ms for x in loads)[len(loads) // 2],
        p99_ms=sorted(x.p99_ms for x in loads)[len(loads) // 2],
        max_ms=max(x.max_ms for x in loads),
        tool=mid.tool,
        cpu=cpu or None,
        rate=mid.rps,
        rounds=[round(x.rps) for x in loads],
    )


def wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        console.print("wrk is missing: apt-get install -y wrk")
        with contextlib.suppress(Exception):
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "wrk"],
                check=False,
                timeout=300,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
    return shutil.which("wrk")


LUA = """
local paths = %(paths)s
local method = %(method)s
local body = %(body)s
local headers = {["Authorization"] = %(auth)s, ["Content-Type"] = "application/json"}
local i = 0
request = function()
  i = i + 1
  return wrk.format(method, paths[(i %% #paths) + 1], headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "status": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"timeout": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _lua_str(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for our ASCII content


def wrk_load(
    exe: str,
    base: str,
    method: str,
    paths: list[str],
    body: str | None,
    token: str,
    seconds: float,
    connections: int,
    script: Path,
) -> Load:
    script.write_text(
        LUA
        % {
            "paths": "{" + ", ".join(_lua_str(p) for p in paths) + "}",
            "method": _lua_str(method),
            "body": _lua_str(body) if body is not None else "nil",
            "auth": _lua_str(f"Bearer {token}"),
        }
    )
    return run_wrk(exe, base, script, seconds, connections, refused="status", tool="wrk -t1")


def run_wrk(exe: str, base: str, script: Path, seconds: float, connections: int, *, refused: str, tool: str) -> Load:
    """wrk -t1 with a Lua `script` whose done() prints one `BENCH {json}` line; `refused` names its count of the
    answers that do not count (non-2xx, or anything but 200)."""
    out = subprocess.run(
        [exe, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script), base],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk said: {out.stdout[-500:]} {out.stderr[-500:]}")
    d = json.loads(line[6:])
    return Load(
        requests=d["requests"],
        seconds=d["duration_us"] / 1e6,
        non_2xx=d[refused],
        socket_errors=d["connect"] + d["read"] + d["write"] + d["timeout"],
        p50_ms=d["p50_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        max_ms=d["max_us"] / 1000,
        tool=tool,
    )


async def python_load(
    base: str, method: str, paths: list[str], body: str | None, token: str, seconds: float, connections: int
) -> Load:
    """Fallback load generator: `connections` keep-alive connections, each sending back to back."""
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as http:
        stop = time.perf_counter() + seconds

        async def worker(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await http.request(method, paths[i % len(paths)], content=body, headers=headers)
                latencies.append(time.perf_counter() - t0)
                errors += not 200 <= r.status_code < 300
                i += connections

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(connections)))
        took = time.perf_counter() - t0
    return Load(
        requests=len(latencies),
        seconds=took,
        non_2xx=errors,
        socket_errors=0,
        p50_ms=(percentile(latencies, 50) or 0) * 1000,
        p99_ms=(percentile(latencies, 99) or 0) * 1000,
        max_ms=max(latencies, default=0) * 1000,
        tool="python httpx",
    )


async def measure(
    base: str,
    method: str,
    paths: list[str],
    body: str | None,
    token: str,
    args: argparse.Namespace,
    tag: str,
    cpu_pids: dict[str, tuple[int, bool]] | None = None,
    warm_up: bool = True,
) -> Load:
    """Warm up (not counted), let the server finish what the warm-up left in flight, then measure; the CPU
    seconds of `cpu_pids` are taken over the measured part only."""
    exe = wrk()
    script = args.out / f"wrk-{tag}.lua"
    args.out.mkdir(parents=True, exist_ok=True)
    warm = min(2.0, args.duration / 2)

    async def once(seconds: float) -> Load:
        if exe:
            return await asyncio.to_thread(
                wrk_load, exe, base, method, paths, body, token, seconds, args.connections, script
            )
        return await python_load(base, method, paths, body, token, seconds, args.connections)

    if warm_up:
        warmed = await once(warm)
        await asyncio.sleep(min(10.0, max(0.5, warmed.max_ms / 1000)))
    with CpuMeter(cpu_pids or {}) as cpu:
        load = await once(args.duration)
    load.cpu = cpu.used
    return load


async def interleaved(
    args: argparse.Namespace, real: Callable[[], Awaitable[Load]], bare: Callable[[], Awaitable[Load]]
) -> tuple[Load, Load]:
    """`args.rounds` rounds of the service and the bare app in turn, so both see the same drift of this VM's
    speed; each side is reported as the median of its rounds."""
    reals: list[Load] = []
    bares: list[Load] = []
    for _ in range(max(1, args.rounds)):
        reals.append(await real())
        bares.append(await bare())
    return median_of(reals), median_of(bares)


class BareApp:
    """A bare baseline app under uvicorn, with the services' flags (vcio_cli.dev.uvicorn_command): by default
    bench.bare_app (the same JSON as the service answers); `app`, `env` and `ready` name another (bench.bare_page).
    What it serves is written to `out/<name>` and handed over in the environment variable `env`."""

    def __init__(  # noqa: PLR0913 - each is one baseline's own
        self,
        data: Any,
        out: Path,
        *,
        app: str = "bench.bare_app:build",
        env: str = "BENCH_BARE_JSON",
        name: str = "bare-answers.json",
        ready: str = "/docs",
    ) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.file = out / name
        self.file.write_text(json.dumps(data))
        self.app, self.env, self.ready = app, env, ready
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_pids(self) -> dict[str, tuple[int, bool]]:
        assert self.proc is not None
        return {"bare": (self.proc.pid, False)}

    def __enter__(self) -> BareApp:
        from vcio_cli.dev import uvicorn_command
        from vcio_shared.embedded import die_with_parent

        self.proc = subprocess.Popen(
            uvicorn_command(self.app, "127.0.0.1", self.port),
            cwd=REPO,
            env={**os.environ, self.env: str(self.file)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}{self.ready}", timeout=1).status_code == 200:
                    return self
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bare app {self.app} did not start")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def statement_log(stack: Stack, enabled: bool) -> StatementLog:
    pg = stack.platform.postgres
    return StatementLog(
        stack.database_url("billing"), pg.log_path if pg else Path("/dev/null"), enabled=enabled and pg is not None
    )


async def ensure_invoices(stack: Stack, state: dict[str, Any]) -> list[str]:
    """Invoice ids to read: the billing section's, else a small run of 1,000 made now."""
    if state.get("invoice_ids"):
        return list(state["invoice_ids"])
    import psycopg

    from bench import billing

    billing.seed(stack, 1000)
    async with httpx.AsyncClient(timeout=300) as http:
        flow.ok(
            await http.post(
                f"{stack.url('billing')}/v1/billing-runs",
                headers=stack.headers(billing.BULK),
                json={"as_of": billing.START.isoformat()},
            )
        )
    with psycopg.connect(stack.database_url("billing")) as conn:
        rows = conn.execute("SELECT id FROM invoices WHERE tenant_id = %s LIMIT 1000", (billing.BULK,)).fetchall()
    return [str(r[0]) for r in rows]


def _figures(
    results: Results,
    name: str,
    what: str,
    real: Load,
    bare: Load,
    rps_target: float | None,
    p99_target: float | None,
    extra: dict[str, Any],
) -> None:
    note = ""
    if real.non_2xx or real.socket_errors:
        note = f"{real.non_2xx} non-2xx answers and {real.socket_errors} socket errors under load (not counted)"
    results.add(
        rate_figure(
            f"{name}_rps",
            real.rps,
            bare.rps,
            unit="req/s",
            baseline=f"bare FastAPI endpoint, same JSON, same uvicorn settings ({real.tool}, {what})",
            floor=rps_target,
            note=note,
            extra={
                **extra,
                "requests": real.requests,
                "seconds": round(real.seconds, 2),
                "non_2xx": real.non_2xx,
                "socket_errors": real.socket_errors,
                "rounds_rps": real.rounds,
                "bare_rounds_rps": bare.rounds,
                "p50_ms": round(real.p50_ms, 2),
                "max_ms": round(real.max_ms, 1),
                "bare_p50_ms": round(bare.p50_ms, 2),
                "bare_requests": bare.requests,
                "cpu_ms_per_request": {k: real.cpu_ms_per_request(k) for k in (real.cpu or {}) if k != "nats-server"},
                "bare_cpu_ms_per_request": bare.cpu_ms_per_request("bare"),
            },
        )
    )
    results.add(
        ceiling_figure(
            f"{name}_p99",
            real.p99_ms,
            bare.p99_ms,
            unit="ms",
            baseline="bare endpoint p99 under the same load",
            ceiling=p99_target,
        )
    )


async def against_bare(
    stack: Stack,
    args: argparse.Namespace,
    service: str,
    label: str,
    method: str,
    paths: list[str],
    body: str | None,
    token: str,
    samples: dict[str, Any],
) -> tuple[Load, Load, dict[str, Any]]:
    """One service and the bare app answering `samples`, under the same load in interleaved rounds; with
    --profile, also the service's profile and the top PostgreSQL statements (else an empty dict)."""
    base = stack.url(service)
    with (
        BareApp(samples, args.out) as bare_app,
        Profile(stack.pid(service), args.out / f"profile-api-{label}.txt", enabled=args.profile) as prof,
        statement_log(stack, args.profile) as statements,
    ):
        real, bare = await interleaved(
            args,
            lambda: measure(base, method, paths, body, token, args, label, stack.cpu_pids(service)),
            lambda: measure(bare_app.url, method, paths, body, token, args, f"{label}-bare", bare_app.cpu_pids()),
        )
    extra: dict[str, Any] = {}
    if args.profile:
        extra["profile"] = prof.summary() or prof.error
        extra["postgres_statements"] = statements.top
    return real, bare, extra


def vacuum(database_url: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


async def read(stack: Stack, results: Results, state: dict[str, Any], args: argparse.Namespace) -> None:
    from bench.billing import BULK

    ids = await ensure_invoices(stack, state)
    token = stack.token(BULK)
    base = stack.url("billing")
    # Steady state, as integrations meet it: the billing run just wrote and deleted hundreds of thousands of
    # rows, and autovacuum would otherwise be cleaning up after it during the measurement (untimed).
    await asyncio.to_thread(vacuum, stack.database_url("billing"))
    async with httpx.AsyncClient(timeout=30) as http:
        sample = flow.ok(await http.get(f"{base}/v1/invoices/{ids[0]}", headers=stack.headers(BULK)))
        write_sample = state.get("write_sample") or {}
    paths = [f"/v1/invoices/{i}" for i in ids]
    samples = {"read": sample, "write": write_sample}
    real, bare, profiled = await against_bare(stack, args, "billing", "read", "GET", paths, None, token, samples)
    extra = {"distinct_invoices": len(ids), "answer_bytes": len(json.dumps(sample)), **profiled}
    _figures(
        results, "api_read", f"GET /v1/invoices/{{id}}, {args.connections} connections", real, bare, 0.35, 30, extra
    )


async def write(stack: Stack, results: Results, state: dict[str, Any], args: argparse.Namespace) -> None:
    setup: flow.Setup = state["setup"]
    token = stack.token(flow.TENANT)
    base = stack.url("proposals")
    body = json.dumps(flow.proposal_body(setup))
    async with httpx.AsyncClient(timeout=30) as http:
        sample = flow.ok(
            await http.post(
                f"{base}/v1/proposals",
                content=body,
                headers={**stack.headers(flow.TENANT), "Content-Type": "application/json"},
            ),
            201,
        )
    samples = {"read": state.get("read_sample") or {}, "write": sample}
    real, bare, profiled = await against_bare(
        stack, args, "proposals", "write", "POST", ["/v1/proposals"], body, token, samples
    )
    extra = {"answer_bytes": len(json.dumps(sample)), **profiled}
    _figures(results, "api_write", f"POST /v1/proposals, {args.connections} connections", real, bare, None, None, extra)
