"""Webhooks: N events to 3 endpoints through the integrations service, beside raw httpx posts of the same signed
bodies at the same concurrency, to the same local receiver (its own process).

The events are published on the BILLING stream as billing's relay would (published = committed). Figures: the
service's throughput as a fraction of the raw posts', event committed → delivered p99 at idle (one event at a
time), and the integrations process's peak RSS during the run."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import time
from typing import Any

import httpx
import nats
import orjson

from bench.figures import ceiling_figure, rate_figure
from bench.procs import RssSampler
from bench.results import Results, console
from bench.stack import Stack, free_port
from integrations.deliveries.sender import PER_ENDPOINT
from integrations.deliveries.signing import headers
from vcio_shared.events import build, encode

TENANT = "bench-hooks"
ENDPOINTS = 3
IDLE_SAMPLES = 100

ARRIVALS: list[tuple[str, str, float]] = []


async def receiver_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The local receiver (`uvicorn bench.webhooks:receiver_app`): notes (path, webhook-id, arrival) and answers
    204; GET /_arrivals answers them all and forgets them."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["method"] == "GET":
        body = orjson.dumps(ARRIVALS)
        ARRIVALS.clear()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
        return
    webhook_id = dict(scope["headers"]).get(b"webhook-id", b"").decode()
    ARRIVALS.append((scope["path"], webhook_id, time.time()))
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def start_receiver(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "bench.webhooks:receiver_app", "--port", str(port)]
    proc = subprocess.Popen([*command, "--log-level", "warning", "--no-access-log"])
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/_arrivals", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the bench receiver did not start")


async def arrivals(base: str) -> list[tuple[str, str, float]]:
    async with httpx.AsyncClient() as http:
        return [tuple(a) for a in (await http.get(f"{base}/_arrivals")).json()]  # type: ignore[misc]


async def wait_for(base: str, count: int, got: list[tuple[str, str, float]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(got) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(got)} of {count} webhooks arrived within {timeout:g} s")
        got.extend(await arrivals(base))
        await asyncio.sleep(0.05)


async def register(stack: Stack, base: str) -> list[str]:
    secrets = []
    async with httpx.AsyncClient(base_url=stack.url("integrations"), headers=stack.headers(TENANT)) as http:
        for n in range(ENDPOINTS):
            r = await http.post("/v1/webhook-endpoints", json={"url": f"{base}/e{n}"})
            r.raise_for_status()
            secrets.append(r.json()["secret"])
    return secrets


def events(n: int) -> list[bytes]:
    now = dt.datetime.now(dt.UTC)
    data = {"invoice_id": "", "client_id": "c-bench", "total": "1500.00", "currency": "USD"}
    return [
        encode(build("billing", "vcio.billing.invoice.paid", TENANT, {**data, "invoice_id": f"i-{i}"}, now=now))
        for i in range(n)
    ]


async def publish_all(js: Any, payloads: list[bytes]) -> None:
    for start in range(0, len(payloads), 500):
        batch = payloads[start : start + 500]
        await asyncio.gather(
            *(js.publish("vcio.billing.invoice.paid", p, headers={"Nats-Msg-Id": orjson.loads(p)["id"]}) for p in batch)
        )


async def raw_posts(base: str, secrets: list[str], payloads: list[bytes]) -> float:
    """The baseline: the same signed bodies, posted by httpx at the service's concurrency; seconds taken."""
    slots = asyncio.Semaphore(ENDPOINTS * PER_ENDPOINT)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=15) as http:

        async def post(n: int, payload: bytes) -> None:
            msg_id = orjson.loads(payload)["id"]
            async with slots:
                sent = headers([secrets[n]], msg_id, dt.datetime.now(dt.UTC), payload)
                (await http.post(f"{base}/e{n}", content=payload, headers=sent)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(n, p) for p in payloads for n in range(ENDPOINTS)))
        return time.perf_counter() - started


async def idle_latency(js: Any, base: str) -> list[float]:
    """Committed (the stream's ack) → arrived, one event at a time, in milliseconds (every endpoint's copy)."""
    out = []
    for payload in events(IDLE_SAMPLES):
        got: list[tuple[str, str, float]] = []
        msg_id = orjson.loads(payload)["id"]
        await js.publish("vcio.billing.invoice.paid", payload, headers={"Nats-Msg-Id": msg_id})
        committed = time.time()
        await wait_for(base, ENDPOINTS, got, 30)
        out += [(t - committed) * 1000 for _, _, t in got]
        await asyncio.sleep(0.05)
    return out


async def run(stack: Stack, results: Results, scale: float) -> None:
    n = max(100, round(10_000 * scale))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    receiver = start_receiver(port)
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        secrets = await register(stack, base)
        payloads = events(n)
        got: list[tuple[str, str, float]] = []
        with RssSampler(stack.pid("integrations")) as rss:
            started = time.perf_counter()
            await publish_all(js, payloads)
            await wait_for(base, n * ENDPOINTS, got, 600)
            service_s = time.perf_counter() - started
        raw_s = await raw_posts(base, secrets, payloads)
        await arrivals(base)  # forget the baseline's arrivals
        latencies = sorted(await idle_latency(js, base))
    finally:
        await nc.close()
        receiver.kill()
        receiver.wait()
    rate, raw_rate = n * ENDPOINTS / service_s, n * ENDPOINTS / raw_s
    ids = {(path, webhook_id) for path, webhook_id, _ in got}
    console.print(f"  {len(got)} arrivals, {len(ids)} distinct (endpoint, webhook-id); raw posts {raw_s:.1f} s")
    results.add(
        rate_figure(
            "webhooks throughput",
            rate,
            raw_rate,
            unit="deliveries/s",
            baseline=f"raw httpx posts of the same signed bodies, {ENDPOINTS * PER_ENDPOINT} at once",
            floor=0.5,
            digits=1,
            note=f"{n} events x {ENDPOINTS} endpoints",
        )
    )
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    p50, p90 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.9)]
    results.add(
        ceiling_figure(
            "webhooks committed->delivered p99 (idle)",
            p99,
            None,
            unit="ms",
            baseline="none",
            ceiling=300,
            speed=False,
            digits=1,
            note=f"{IDLE_SAMPLES} events one at a time x {ENDPOINTS} endpoints; "
            f"p50 {p50:.1f}, p90 {p90:.1f}, max {latencies[-1]:.1f} ms",
        )
    )
    results.add(
        ceiling_figure(
            "integrations RSS (peak, webhooks run)",
            rss.peak,
            None,
            unit="MiB",
            baseline="none",
            ceiling=250,
            speed=False,
            digits=1,
        )
    )
