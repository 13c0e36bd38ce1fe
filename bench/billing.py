"""Billing run: N monthly agreements → invoices + lines committed + N `invoice.issued` events in BILLING.

Seeding is billing's own bulk seed (services/billing/tests/billing_helpers.py: INSERT ... SELECT straight into
billing's tables, then ANALYZE); it is not timed. The run is real: POST /v1/billing-runs on the running billing
process. The clock runs from the POST until the stream holds all N `invoice.issued` events (the relay publishes
while the run commits chunks). Baselines, in the same run and on the same servers:
- JetStream: nats-py publish_async of the very same N event payloads (same headers, a stream configured like
  BILLING), acks awaited in a pipeline (batched), not one by one;
- PostgreSQL: COPY (binary) of the very same invoice, line and outbox rows into empty tables of the same shape
  (indexes included), in one transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import nats
import psycopg
from nats.js.api import StreamConfig

from bench.figures import ceiling_figure, rate_figure
from bench.pglog import StatementLog
from bench.procs import CpuMeter, Profile, RssSampler, rss_mib
from bench.results import Results, console
from bench.stack import Stack
from billing.runs.service import CHUNK_SIZE  # the run writes one outbox row per chunk

BULK = "bench-bulk"
ISSUED = "vcio.billing.invoice.issued"
START = dt.date(2027, 1, 1)
FULL = 100_000  # the issue's size: the 20 s target is for it
TABLES = ("invoices", "invoice_lines", "outbox")


def seed(stack: Stack, n: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "billing" / "tests"))
    from billing_helpers import seed as billing_seed  # the billing engineer's own bulk seed

    billing_seed(stack.env["BILLING_DATABASE_URL"], n, tenant=BULK, start=START, term=12, cycle="monthly")
    with psycopg.connect(stack.database_url("billing"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE agreements")  # a live database is analysed; a fresh bulk load is not yet


async def issued_count(js: Any) -> int:
    info = await js.stream_info("BILLING", subjects_filter=ISSUED)
    return int((info.state.subjects or {}).get(ISSUED, 0))


async def run(stack: Stack, results: Results, n: int, *, profile: bool, out: Path, rounds: int = 3) -> list[str]:
    t = time.monotonic()
    seed(stack, n)
    console.print(f"seeded {n:,} agreements in {time.monotonic() - t:.1f}s")
    pid = stack.pid("billing")
    rss_before = rss_mib(pid)
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    try:
        before = await issued_count(js)
        async with httpx.AsyncClient(timeout=1800) as http:
            profiling = Profile(pid, out / "profile-billing-run.txt", enabled=profile)
            pg = stack.platform.postgres
            statements = StatementLog(
                stack.database_url("billing"),
                pg.log_path if pg else Path("/dev/null"),
                enabled=profile and pg is not None,
            )
            with RssSampler(pid) as rss, profiling as prof, CpuMeter(stack.cpu_pids("billing")) as cpu, statements:
                t0 = time.perf_counter()
                r = await http.post(
                    f"{stack.url('billing')}/v1/billing-runs",
                    headers=stack.headers(BULK),
                    json={"as_of": START.isoformat()},
                )
                t_committed = time.perf_counter() - t0
                if r.status_code not in (200, 201):
                    raise RuntimeError(f"billing run answered {r.status_code}: {r.text[:500]}")
                run_out = r.json()
                deadline = time.perf_counter() + 600
                while (count := await issued_count(js) - before) < n:
                    if time.perf_counter() > deadline:
                        raise TimeoutError(f"only {count} of {n} invoice.issued events reached BILLING")
                    await asyncio.sleep(0.02)
                total = time.perf_counter() - t0
        console.print(
            f"run committed in {t_committed:.2f}s (service says {run_out.get('duration_ms')} ms, "
            f"{run_out.get('invoices_created')} invoices, {len(run_out.get('errors') or [])} errors); "
            f"all {n:,} events in BILLING after {total:.2f}s; peak RSS {rss.peak:.0f} MiB"
        )
        if prof.error:
            console.print(f"[yellow]profile:[/] {prof.error}")
        counts = table_counts(stack)
        if counts["invoices"] != n:
            raise RuntimeError(f"expected {n} invoices, found {counts}")
        events = await issued_events(js, n)
        counts["events"] = len(events)
        # The median of a few rounds: one publish of 100,000 messages takes seconds, and this VM's speed drifts.
        js_rounds = [await jetstream_baseline(js, events) for _ in range(max(1, rounds))]
        js_s = sorted(js_rounds)[len(js_rounds) // 2]
    finally:
        await nc.close()
    copy_s = copy_baseline(stack, events)
    rows = counts["invoices"] + counts["invoice_lines"] + -(-counts["events"] // CHUNK_SIZE)
    console.print(
        f"baselines: JetStream publish of the same {n:,} payloads {js_s:.2f}s; "
        f"COPY of the same {rows:,} rows {copy_s:.2f}s"
    )

    extra = {
        "agreements": n,
        "invoices": counts["invoices"],
        "lines": counts["invoice_lines"],
        "events_in_stream": counts["events"],
        "outbox_rows_left": counts["outbox"],
        "post_answered_s": round(t_committed, 3),
        "service_duration_ms": run_out.get("duration_ms"),
        "relay_tail_s": round(total - t_committed, 3),
        "errors": len(run_out.get("errors") or []),
        "cpu_seconds_during_run": cpu.used,
        "jetstream_baseline_rounds_s": [round(x, 2) for x in js_rounds],
    }
    if profile:
        extra["profile"] = prof.summary() or prof.error
        extra["postgres_statements"] = statements.top
    results.add(
        ceiling_figure(
            "billing_run_seconds",
            total,
            copy_s,
            unit="s",
            baseline=f"raw COPY of the same {rows:,} rows (invoices, lines, outbox)",
            ceiling=20 if n == FULL else None,
            target=None if n == FULL else f"≤ 20 s at {FULL:,} (this run: {n:,})",
            extra=extra,
        )
    )
    results.add(
        rate_figure(
            "billing_event_rate",
            n / total,
            n / js_s,
            unit="events/s",
            baseline="raw nats-py JetStream publish_async of the same payloads (batched acks)",
            floor=0.5,
        )
    )
    results.add(
        ceiling_figure(
            "billing_rss_peak",
            rss.peak,
            rss_before,
            unit="MiB",
            baseline="billing RSS at rest, before the run",
            ceiling=500,
            speed=False,
            digits=1,
            extra={"samples": len(rss.samples)},
        )
    )
    with psycopg.connect(stack.database_url("billing")) as conn:
        ids = conn.execute(
            "SELECT id FROM invoices WHERE tenant_id = %s ORDER BY random() LIMIT 1000", (BULK,)
        ).fetchall()
    return [str(i[0]) for i in ids]


def table_counts(stack: Stack) -> dict[str, int]:
    with psycopg.connect(stack.database_url("billing")) as conn:
        return {
            "invoices": conn.execute("SELECT count(*) FROM invoices WHERE tenant_id = %s", (BULK,)).fetchone()[0],
            "invoice_lines": conn.execute(
                "SELECT count(*) FROM invoice_lines WHERE tenant_id = %s", (BULK,)
            ).fetchone()[0],
            "outbox": conn.execute(
                "SELECT count(*) FROM outbox WHERE tenant_id = %s AND type = %s", (BULK, ISSUED)
            ).fetchone()[0],
        }


async def issued_events(js: Any, n: int) -> list[tuple[str, bytes]]:
    """The run's `invoice.issued` events as the stream holds them: (Nats-Msg-Id = event id, payload). The relay
    deletes outbox rows once published, so the stream is where the baselines find the very same payloads."""
    sub = await js.subscribe(ISSUED, stream="BILLING", ordered_consumer=True)
    tenant = f'"tenantid":"{BULK}"'.encode()
    out: list[tuple[str, bytes]] = []
    try:
        while len(out) < n:
            msg = await sub.next_msg(timeout=30)
            if tenant in msg.data:
                out.append((msg.headers["Nats-Msg-Id"], msg.data))
    finally:
        await sub.unsubscribe()
    return out


async def jetstream_baseline(js: Any, events: list[tuple[str, bytes]]) -> float:
    """Publish the same payloads (same size, same headers) to a stream configured like BILLING."""
    n = len(events)
    cfg = (await js.stream_info("BILLING")).config
    raw = StreamConfig(
        name="BENCH_RAW",
        subjects=["bench.raw.>"],
        storage=cfg.storage,
        duplicate_window=cfg.duplicate_window,
        retention=cfg.retention,
        max_age=cfg.max_age,
    )
    await js.add_stream(raw)
    try:
        t0 = time.perf_counter()
        futures = []
        for event_id, payload in events:
            futures.append(
                await js.publish_async("bench.raw.invoice.issued", payload, headers={"Nats-Msg-Id": event_id})
            )
        acks = await asyncio.gather(*futures)
        took = time.perf_counter() - t0
        info = await js.stream_info("BENCH_RAW")
        if len(acks) != n or info.state.messages != n:
            raise RuntimeError(f"raw publish stored {info.state.messages} of {n}")
        return took
    finally:
        await js.delete_stream("BENCH_RAW")


def copy_baseline(stack: Stack, events: list[tuple[str, bytes]]) -> float:
    """COPY the run's rows out (untimed), then COPY them into empty same-shaped tables (timed, one commit). The
    outbox rows are rebuilt from the stream's events (the relay has deleted them), as the run wrote them: one
    batch row per chunk of agreements."""
    dumps: dict[str, bytes] = {}
    with psycopg.connect(stack.database_url("billing"), autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS raw_{table}")
            conn.execute(
                f"CREATE TABLE raw_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY "
                "INCLUDING CONSTRAINTS INCLUDING INDEXES)"
            )
        with conn.cursor().copy(
            "COPY raw_outbox (id, tenant_id, type, payload, headers, event_ids) FROM STDIN"
        ) as cp:  # one batch row per chunk, as the run writes them (events.emit_batch)
            for k in range(0, len(events), CHUNK_SIZE):
                chunk = events[k : k + CHUNK_SIZE]
                cp.write_row((chunk[0][0], BULK, ISSUED, b"\n".join(p for _, p in chunk), "{}", [i for i, _ in chunk]))
        for table in TABLES:
            source = "raw_outbox" if table == "outbox" else f"(SELECT * FROM {table} WHERE tenant_id = %s)"
            buf = io.BytesIO()
            with conn.cursor().copy(  # type: ignore[call-overload]
                f"COPY {source} TO STDOUT (FORMAT binary)", None if table == "outbox" else (BULK,)
            ) as cp:
                for chunk in cp:
                    buf.write(chunk)
            dumps[table] = buf.getvalue()
        conn.execute("TRUNCATE raw_outbox")
        conn.execute("CHECKPOINT")
        try:
            t0 = time.perf_counter()
            with conn.transaction():
                for table in TABLES:
                    with conn.cursor().copy(f"COPY raw_{table} FROM STDIN (FORMAT binary)") as cp:
                        data = dumps[table]
                        for i in range(0, len(data), 1 << 20):
                            cp.write(data[i : i + (1 << 20)])
            return time.perf_counter() - t0
        finally:
            for table in TABLES:
                conn.execute(f"DROP TABLE IF EXISTS raw_{table}")
