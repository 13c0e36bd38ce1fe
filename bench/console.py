"""The console's pages (issue 18): GET / (the dashboard) and GET /clients/{id} under load, with the practice
`vcio demo --clients N` loads (300 at scale 1), beside a bare FastAPI + Jinja2 app rendering pages of the same
bytes (bench/bare_page.py).

The console is the one the bench's platform runs (`vcio_cli.dev.Platform` starts it as its own process with
`dev.uvicorn_command`, the services' uvicorn settings, on a free port); the bench signs in as a browser does
after a sign-in link, with the session cookie holding a token for the tenant. Every page the console answers
fans out to proposals, billing and the scheduler over HTTP (8 API calls for the dashboard: 7 side by side,
then the clients they name; 6 for a client's page), so the load runs at `CONNECTIONS` rather than the API
figures' 32: eight people clicking with no pause between pages is more than a practice's console meets, and
32 would measure the queue in front of the console (p99 ≈ connections ÷ throughput) rather than a page."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.figures import ceiling_figure, rate_figure
from bench.http_load import REPO, BareApp, Load, interleaved, run_wrk, wrk
from bench.procs import CpuMeter
from bench.results import Results, console
from bench.stack import Stack
from bench.stats import percentile
from vcio_shared.settings import SERVICES

TENANT = "bench-console"
CONNECTIONS = 8
P99_TARGET_MS = 150
CALLED = ("proposals", "billing", "scheduler")  # the services the two pages call

LUA = """
local paths = %(paths)s
local headers = {["Cookie"] = %(cookie)s, ["Accept"] = "text/html"}
local threads = {}
local i = 0
not_ok = 0
setup = function(thread)
  table.insert(threads, thread)
end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], headers)
end
response = function(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
done = function(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_ok") end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "not_ok": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"timeout": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def cookie(stack: Stack) -> str:
    """The session cookie a sign-in link sets (console/tests/conftest.py `signed_in`): a token for the tenant."""
    from vcio_console.signin import COOKIE

    return f"{COOKIE}={stack.token(TENANT)}"


def load_demo(stack: Stack, clients: int) -> tuple[float, str]:
    """`vcio demo --tenant bench-console --clients N` through its command line, against the bench's platform;
    its seconds and the tail of what it printed."""
    env = {k: v for k, v in os.environ.items() if k != "VCIO_TOKEN" and not k.endswith("_URL")}
    env |= {f"{s.upper()}_URL": stack.url(s) for s in SERVICES}
    env |= {"VCIO_JWT_SECRET": stack.secret, "CONSOLE_URL": stack.url("console"), "COLUMNS": "120"}
    command = [sys.executable, "-m", "vcio_cli.main", "demo", "--tenant", TENANT, "--clients", str(clients)]
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=7200)
    took = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"vcio demo failed ({done.returncode}): {done.stdout[-1500:]} {done.stderr[-1500:]}")
    return took, done.stdout


def settle(stack: Stack, limit: float = 600.0, window: float = 2.0, idle: float = 0.2) -> tuple[float, float]:
    """Wait until the platform is quiet after the demo: when it returns, billing is still busy for tens of
    seconds (most of a core, with 30 clients) with what the demo set going. Quiet is the services, the console
    and PostgreSQL together using less than `idle` of a core over a `window` (at rest they use about 0.1, most
    of it the integrations service). Its seconds, and the share of a core of the last window."""
    pids = {"console": (stack.pid("console"), False), **stack.cpu_pids(*SERVICES)}
    pids.pop("nats-server", None)
    started = time.monotonic()
    while True:
        with CpuMeter(pids) as cpu:
            time.sleep(window)
        busy = sum(cpu.used.values()) / window
        if busy < idle or time.monotonic() - started > limit:
            return time.monotonic() - started, busy


def practice_of(printed: str) -> dict[str, int]:
    """The demo's summary table ("in it" column) from what it printed: {row: count}."""
    rows: dict[str, int] = {}
    for line in printed.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if len(cells) == 3 and cells[1].isdigit():
            rows[cells[0]] = int(cells[1])
    return rows


async def _count(http: httpx.AsyncClient, url: str, params: dict[str, str]) -> int:
    """Items of a list, following next_cursor."""
    total, cursor = 0, None
    while True:
        r = await http.get(url, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        r.raise_for_status()
        page = r.json()
        total += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return total


async def pick_client(stack: Stack) -> tuple[str, dict[str, int]]:
    """The client of the oldest active agreement that has invoices and a delivery plan (the longest history:
    the heaviest client page), and what its page shows."""
    async with httpx.AsyncClient(headers=stack.headers(TENANT), timeout=60) as http:
        r = await http.get(f"{stack.url('billing')}/v1/agreements", params={"status": "active", "limit": 200})
        r.raise_for_status()
        agreements = sorted(r.json()["items"], key=lambda a: (a["start_date"], a["id"]))
        for agreement in agreements:
            by_client = {"client_id": agreement["client_id"]}
            counts = {
                "invoices": await _count(http, f"{stack.url('billing')}/v1/invoices", by_client),
                "activities": await _count(http, f"{stack.url('scheduler')}/v1/activities", by_client),
                "proposals": await _count(http, f"{stack.url('proposals')}/v1/proposals", by_client),
            }
            if counts["invoices"] and counts["activities"]:
                return agreement["client_id"], counts
        clients = await _count(http, f"{stack.url('proposals')}/v1/clients", {})
    raise RuntimeError(f"no client of {TENANT} has an active agreement with invoices and a plan ({clients} clients)")


async def capture(base: str, paths: dict[str, str], cookie_header: str) -> dict[str, str]:
    """Each page's HTML, once: a 200 with the page itself (not the sign-in redirect)."""
    pages = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for name, path in paths.items():
            r = await http.get(path, headers={"Cookie": cookie_header, "Accept": "text/html"})
            if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
                raise RuntimeError(f"the console answered {r.status_code} to GET {path}: {r.text[:300]}")
            pages[name] = r.text
    return pages


def bare_pages(pages: dict[str, str], out: Path) -> BareApp:
    """bench.bare_page serving each captured page as a template of the same bytes."""
    return BareApp(
        pages, out, app="bench.bare_page:build", env="BENCH_BARE_PAGES", name="bare-pages.json", ready="/healthz"
    )


def wrk_pages(
    exe: str, base: str, paths: list[str], cookie_header: str, seconds: float, script: Path, connections: int
) -> Load:
    """wrk -t1 -c`connections` GETting `paths` in turn with the session cookie; any answer but 200 is counted
    (a 303 to the sign-in page would otherwise pass as a fast page)."""
    quoted = "{" + ", ".join(json.dumps(p) for p in paths) + "}"
    script.write_text(LUA % {"paths": quoted, "cookie": json.dumps(cookie_header)})
    return run_wrk(exe, base, script, seconds, connections, refused="not_ok", tool=f"wrk -t1 -c{connections}")


async def python_pages(base: str, paths: list[str], cookie_header: str, seconds: float, connections: int) -> Load:
    """The fallback when wrk is missing: `connections` keep-alive connections, each GETting back to back."""
    latencies: list[float] = []
    not_ok = 0
    headers = {"Cookie": cookie_header, "Accept": "text/html"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as http:
        stop = time.perf_counter() + seconds

        async def worker(k: int) -> None:
            nonlocal not_ok
            i = k
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await http.get(paths[i % len(paths)], headers=headers)
                latencies.append(time.perf_counter() - t0)
                not_ok += r.status_code != 200
                i += connections

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(connections)))
        took = time.perf_counter() - t0
    return Load(
        requests=len(latencies),
        seconds=took,
        non_2xx=not_ok,
        socket_errors=0,
        p50_ms=(percentile(latencies, 50) or 0) * 1000,
        p99_ms=(percentile(latencies, 99) or 0) * 1000,
        max_ms=max(latencies, default=0) * 1000,
        tool=f"python httpx, {connections} connections",
    )


async def measure(
    base: str,
    paths: list[str],
    cookie_header: str,
    args: argparse.Namespace,
    tag: str,
    cpu_pids: dict[str, tuple[int, bool]],
    connections: int = CONNECTIONS,
) -> Load:
    """As bench.http_load.measure, with the cookie: a warm-up (not counted), a pause for what it left in flight,
    then `args.duration` seconds of load with the CPU seconds of `cpu_pids` taken over it."""
    exe = wrk()
    script = args.out / f"wrk-{tag}.lua"
    args.out.mkdir(parents=True, exist_ok=True)

    async def once(seconds: float) -> Load:
        if exe:
            return await asyncio.to_thread(wrk_pages, exe, base, paths, cookie_header, seconds, script, connections)
        return await python_pages(base, paths, cookie_header, seconds, connections)

    warmed = await once(min(2.0, args.duration / 2))
    await asyncio.sleep(min(10.0, max(0.5, warmed.max_ms / 1000)))
    with CpuMeter(cpu_pids) as cpu:
        load = await once(args.duration)
    load.cpu = cpu.used
    return load


def figures(results: Results, name: str, what: str, real: Load, bare: Load, extra: dict[str, Any]) -> None:
    note = ""
    if real.non_2xx or real.socket_errors:
        note = f"{real.non_2xx} answers other than 200 and {real.socket_errors} socket errors under load (not counted)"
    results.add(
        rate_figure(
            f"{name}_rps",
            real.rps,
            bare.rps,
            unit="req/s",
            baseline=f"bare FastAPI + Jinja2 page of the same bytes, same uvicorn settings ({real.tool}, {what})",
            floor=None,
            note=note,
            extra={
                **extra,
                "connections": CONNECTIONS,
                "requests": real.requests,
                "non_200": real.non_2xx,
                "socket_errors": real.socket_errors,
                "rounds_rps": real.rounds,
                "bare_rounds_rps": bare.rounds,
                "p50_ms": round(real.p50_ms, 2),
                "max_ms": round(real.max_ms, 1),
                "bare_p50_ms": round(bare.p50_ms, 2),
                "bare_requests": bare.requests,
                "bare_non_200": bare.non_2xx,
                "cpu_ms_per_request": {k: real.cpu_ms_per_request(k) for k in (real.cpu or {}) if k != "nats-server"},
                "bare_cpu_ms_per_request": bare.cpu_ms_per_request("bare"),
            },
        )
    )
    p99 = ceiling_figure(
        f"{name}_p99",
        real.p99_ms,
        bare.p99_ms,
        unit="ms",
        baseline="bare page p99 under the same load",
        ceiling=P99_TARGET_MS,
    )
    if real.requests - real.non_2xx <= 0:  # wrk reports 0 ms when nothing came back: slower than the round, not fast
        p99.met = False
        p99.note = "no page answered 200 within the round: its p99 is longer than the round"
    results.add(p99)


def _side(
    base: str,
    paths: list[str],
    cookie_header: str,
    args: argparse.Namespace,
    tag: str,
    cpu_pids: dict[str, tuple[int, bool]],
) -> Callable[[], Awaitable[Load]]:
    """One side of the interleaved rounds: a measurement of `paths` at `base`, made anew each round."""
    return lambda: measure(base, paths, cookie_header, args, tag, cpu_pids)


async def run(stack: Stack, results: Results, args: argparse.Namespace) -> None:
    n = max(20, round(300 * args.scale))
    took, printed = await asyncio.to_thread(load_demo, stack, n)
    practice = practice_of(printed)
    quiet_s, busy = await asyncio.to_thread(settle, stack)
    client_id, counts = await pick_client(stack)
    base = stack.url("console")
    session = cookie(stack)
    paths = {"dashboard": "/", "client": f"/clients/{client_id}"}
    pages = await capture(base, paths, session)
    sizes = {name: len(page.encode()) for name, page in pages.items()}
    console.print(
        f"  vcio demo --tenant {TENANT} --clients {n}: {took:.1f} s (untimed), the platform quiet "
        f"{quiet_s:.0f} s later ({100 * busy:.0f} % of a core); the client page is {client_id} "
        f"({counts['invoices']} invoices, {counts['activities']} activities, {counts['proposals']} proposals); "
        f"pages of {sizes['dashboard']:,} and {sizes['client']:,} bytes; {CONNECTIONS} connections; the practice: "
        + ", ".join(f"{k} {v}" for k, v in practice.items()),
        soft_wrap=True,
    )
    pids = {"console": (stack.pid("console"), False), **stack.cpu_pids(*CALLED)}
    with bare_pages(pages, args.out) as bare_app:
        bare_sizes = {}
        async with httpx.AsyncClient(base_url=bare_app.url, timeout=30) as http:
            for name, path in paths.items():
                r = await http.get(path)
                r.raise_for_status()
                bare_sizes[name] = len(r.content)
        for name, label in (("dashboard", "GET /"), ("client", "GET /clients/{id}")):
            real, bare = await interleaved(
                args,
                _side(base, [paths[name]], session, args, f"console-{name}", pids),
                _side(bare_app.url, [paths[name]], session, args, f"console-{name}-bare", bare_app.cpu_pids()),
            )
            # One page at a time (one connection, after the rounds): the page's own latency, without the queue.
            alone = await measure(base, [paths[name]], session, args, f"console-{name}-alone", pids, connections=1)
            console.print(
                f"  {label} alone (1 connection): p50 {alone.p50_ms:.1f} ms, p99 {alone.p99_ms:.1f} ms, "
                f"{alone.rps:.1f} req/s"
            )
            extra = {
                "one_connection": {
                    "rps": round(alone.rps, 1),
                    "p50_ms": round(alone.p50_ms, 2),
                    "p99_ms": round(alone.p99_ms, 2),
                    "non_200": alone.non_2xx,
                    "cpu_ms_per_request": {
                        k: alone.cpu_ms_per_request(k) for k in (alone.cpu or {}) if k != "nats-server"
                    },
                },
                "demo_clients": n,
                "demo_seconds": round(took, 1),
                "demo_practice": practice,
                "quiet_after_demo_s": round(quiet_s, 1),
                "page_bytes": sizes[name],
                "bare_page_bytes": bare_sizes[name],
                **({"client": counts} if name == "client" else {}),
            }
            figures(results, f"console_{name}", label, real, bare, extra)
