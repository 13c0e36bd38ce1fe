"""Event latency: a proposal accepted → its agreement readable in billing, beside nats-py publish → receive.

The platform path is outbox row (proposals) → relay → JetStream → billing's durable pull consumer → inbox +
agreement commit → readable over billing's HTTP API. The clock starts when the accept answer (committed) comes
back and stops when billing's database shows the agreement committed, polled every 1 ms on a connection of the
bench's own (polling billing's HTTP API that often would itself load the one process under test: a GET costs
billing several ms of CPU). Each agreement is then read once over GET /v1/agreements?proposal_id= (untimed),
so "readable in billing" is checked, not assumed."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import nats
import orjson
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from bench.flow import TENANT, Setup, ok, proposal_body
from bench.procs import Profile
from bench.results import Figure, Results, speed_ratio
from bench.stack import Stack
from bench.stats import percentile

POLL = 0.001
SEEN = "SELECT EXISTS (SELECT 1 FROM agreements WHERE tenant_id = $1 AND proposal_id = $2)"
WARMUP = 5  # first accepts pay one-off costs (lazy imports, statement caches, consumer start): not counted


async def platform_latency(
    stack: Stack, setup: Setup, n: int, marks: list[tuple[str, float, float]]
) -> tuple[list[float], list[float]]:
    h = stack.headers(TENANT)
    latencies: list[float] = []
    accepts: list[float] = []
    db = await asyncpg.connect(stack.database_url("billing"))
    try:
        return await _accept_all(stack, setup, n, db, h, latencies, accepts, marks)
    finally:
        await db.close()


async def _accept_all(
    stack: Stack,
    setup: Setup,
    n: int,
    db: asyncpg.Connection,
    h: dict[str, str],
    latencies: list[float],
    accepts: list[float],
    marks: list[tuple[str, float, float]],
) -> tuple[list[float], list[float]]:
    async with httpx.AsyncClient(timeout=30) as http:
        proposals = []
        for _ in range(n + WARMUP):
            p = ok(await http.post(f"{stack.url('proposals')}/v1/proposals", json=proposal_body(setup), headers=h))
            ok(await http.post(f"{stack.url('proposals')}/v1/proposals/{p['id']}/send", headers=h))
            proposals.append(p["id"])
        await asyncio.sleep(1)  # let the send events settle: the system is idle when the clock runs
        agreements = f"{stack.url('billing')}/v1/agreements"
        for pid in proposals:
            t_req = time.perf_counter()
            ok(
                await http.post(
                    f"{stack.url('proposals')}/v1/proposals/{pid}/accept",
                    headers=h,
                    json={"signer_name": "Dana Bench", "signer_email": "dana@acme.test"},
                )
            )
            t0, wall0 = time.perf_counter(), time.time()
            accepts.append(t0 - t_req)
            deadline = t0 + 30
            while not await db.fetchval(SEEN, TENANT, uuid.UUID(pid)):
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"no agreement in billing 30 s after accepting {pid}")
                await asyncio.sleep(POLL)
            latencies.append(time.perf_counter() - t0)
            marks.append((pid, wall0, wall0 + latencies[-1]))
            r = await http.get(agreements, params={"proposal_id": pid}, headers=h)
            if r.status_code != 200 or len(r.json()["items"]) != 1:
                raise RuntimeError(
                    f"billing's API does not list the agreement of {pid}: {r.status_code} {r.text[:300]}"
                )
            await asyncio.sleep(0.05)  # one at a time, on an idle system
    return latencies[WARMUP:], accepts[WARMUP:]


async def hop_breakdown(stack: Stack, marks: list[tuple[str, float, float]]) -> dict[str, float | None]:
    """Where the time goes, from timestamps the platform writes anyway (same host clock):
    accept answered → the event was stored in the PROPOSALS stream (JetStream's own timestamp; the relay deletes
    what it has published, so the outbox keeps no trace) → billing's handler ran (agreements.created_at, taken
    by the handler) → the agreement was seen committed."""
    if not marks:
        return {}
    relayed = await stream_times(stack.nats_url, "PROPOSALS", "vcio.proposals.proposal.accepted")
    billing = await asyncpg.connect(stack.database_url("billing"))
    try:
        handled = {
            str(k): v
            for k, v in await billing.fetch(
                "SELECT proposal_id, extract(epoch FROM created_at)::float8 FROM agreements WHERE tenant_id = $1",
                TENANT,
            )
        }
    finally:
        await billing.close()
    to_relay, to_handler, to_visible = [], [], []
    for pid, answered, visible in marks:
        if pid in relayed and pid in handled:
            to_relay.append(relayed[pid] - answered)
            to_handler.append(handled[pid] - relayed[pid])
            to_visible.append(visible - handled[pid])

    def p50(xs: list[float]) -> float | None:
        v = percentile(xs, 50)
        return None if v is None else round(v * 1000, 1)

    return {
        "answer_to_stream": p50(to_relay),
        "stream_to_billing_handler": p50(to_handler),
        "billing_handler_to_committed": p50(to_visible),
    }


async def stream_times(url: str, stream: str, subject: str) -> dict[str, float]:
    """When JetStream stored each event on a subject (epoch seconds), by the event's `subject` (the proposal id)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        out: dict[str, float] = {}
        seq = 1
        while True:
            try:
                msg = await js.get_msg(stream, seq, subject=subject, next=True)
            except NotFoundError:
                return out
            if msg.data is not None and msg.time is not None and msg.seq is not None:
                out[orjson.loads(msg.data)["subject"]] = msg.time.timestamp()
            seq = (msg.seq or seq) + 1
    finally:
        await nc.close()


async def nats_latency(url: str, n: int) -> list[float]:
    """Raw: nats-py JetStream publish (acked) → a push subscriber's callback, one message at a time."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    try:
        await js.add_stream(
            StreamConfig(
                name="BENCH_LATENCY", subjects=["bench.latency"], storage=StorageType.FILE, duplicate_window=120
            )
        )
        loop = asyncio.get_running_loop()
        waiting: asyncio.Future[float] | None = None

        async def received(msg: object) -> None:
            if waiting is not None and not waiting.done():
                waiting.set_result(time.perf_counter())

        sub = await js.subscribe("bench.latency", cb=received, ordered_consumer=True)
        out = []
        payload = b"x" * 2048
        for i in range(n + 5):
            waiting = loop.create_future()
            t0 = time.perf_counter()
            await js.publish("bench.latency", payload, headers={"Nats-Msg-Id": f"lat-{i}"})
            t1 = await asyncio.wait_for(waiting, 10)
            if i >= 5:  # a few warm-up messages
                out.append(t1 - t0)
            await asyncio.sleep(0.005)
        await sub.unsubscribe()
        await js.delete_stream("BENCH_LATENCY")
        return out
    finally:
        await nc.close()


async def run(
    stack: Stack, setup: Setup, results: Results, n: int, *, profile: bool = False, out: Path = Path(".bench")
) -> None:
    raw = await nats_latency(stack.nats_url, n)
    with Profile(stack.pid("billing"), out / "profile-latency-billing.txt", enabled=profile) as prof:
        marks: list[tuple[str, float, float]] = []
        lat, accepts = await platform_latency(stack, setup, n, marks)
    hops = await hop_breakdown(stack, marks[WARMUP:])
    summary = (prof.summary() or prof.error) if profile else None
    ms = 1000
    for p, target in ((50, 50), (99, 250)):
        v, b = percentile(lat, p) * ms, percentile(raw, p) * ms  # type: ignore[operator]
        results.add(
            Figure(
                name=f"event_latency_p{p}",
                value=round(v, 2),
                unit="ms",
                baseline=f"nats-py JetStream publish → subscriber receive, p{p}",
                baseline_value=round(b, 3),
                ratio=speed_ratio(v, b, higher_is_better=False),
                target=f"≤ {target} ms (idle)",
                met=v <= target,
                extra={
                    "samples": len(lat),
                    "accept_request_p50_ms": round(percentile(accepts, 50) * ms, 2),  # type: ignore[operator]
                    "max_ms": round(max(lat) * ms, 2),
                    "poll_interval_ms": POLL * ms,
                    "hops_p50_ms": hops,
                    **({"profile_billing": summary} if summary and p == 50 else {}),
                },
            )
        )
