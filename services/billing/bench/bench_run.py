"""`python services/billing/bench/bench_run.py [N]`: time one billing run over N monthly agreements.

Starts a throwaway PostgreSQL, migrates, seeds N agreements, then runs billing in-process as the API does
(keyset chunks, set-based writes, one commit per chunk). Prints the run's wall time, rows written and the
process's peak RSS, beside a raw baseline measured in the same run: the time PostgreSQL alone takes to
INSERT ... SELECT the same number of invoice-sized rows. A benchmark, not a test: it never fails on a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from billing_helpers import seed  # noqa: E402

from billing.runs import service as runs  # noqa: E402
from vcio_shared.clock import FixedClock  # noqa: E402
from vcio_shared.db import create_engine, make_sessionmaker  # noqa: E402
from vcio_shared.embedded import Postgres  # noqa: E402
from vcio_shared.migrations import upgrade  # noqa: E402
from vcio_shared.settings import to_driver_url  # noqa: E402


async def bill(url: str, as_of: dt.date) -> tuple[dict, float]:
    engine = create_engine(to_driver_url(url, "asyncpg"))
    sessionmaker = make_sessionmaker(engine)
    clock = FixedClock(as_of)
    try:
        async with sessionmaker() as session, session.begin():
            run = await runs.start(session, "tenant-a", as_of, trigger="api", created_by="bench", now=clock.now())
        started, cpu = time.perf_counter(), time.process_time()
        out = await runs.execute(sessionmaker, clock, run)
        out["python_cpu_s"] = round(time.process_time() - cpu, 2)
        return out, time.perf_counter() - started
    finally:
        await engine.dispose()


def baseline(plain: str, n: int) -> float:
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE raw (id uuid, a text, b date, c date, amount bigint, payload bytea)")
        started = time.perf_counter()
        conn.execute(
            "INSERT INTO raw SELECT gen_random_uuid(), 'x', '2027-01-01', '2027-02-01', g, "
            "decode(repeat('ab', 600), 'hex') FROM generate_series(1, %s) g",
            (n * 3,),
        )
        return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory(prefix="vcio-bench-") as tmp:
        Path(tmp).chmod(0o755)
        server = Postgres(Path(tmp) / "data").start()
        try:
            url = server.create_database("bench")
            upgrade("billing", url)
            plain = to_driver_url(url, "psycopg").replace("postgresql+psycopg", "postgresql")
            t0 = time.perf_counter()
            seed(url, n)
            print(f"seeded {n} agreements in {time.perf_counter() - t0:.1f}s")
            out, took = asyncio.run(bill(url, dt.date(2027, 1, 1)))
            with psycopg.connect(plain) as conn:
                invoices = conn.execute("SELECT count(*) FROM invoices").fetchone()[0]
                lines = conn.execute("SELECT count(*) FROM invoice_lines").fetchone()[0]
                outbox = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"billing run: {n} agreements -> {invoices} invoices, {lines} lines, {outbox} outbox rows "
                f"in {took:.2f}s ({n / took:,.0f} agreements/s); peak RSS {rss:.0f} MiB; "
                f"run says {out['duration_ms']} ms, errors {len(out['errors'])}; Python CPU {out['python_cpu_s']}s"
            )
            print(f"raw baseline: INSERT ... SELECT of {n * 3} rows in {baseline(plain, n):.2f}s")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
