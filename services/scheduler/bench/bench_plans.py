"""Benchmark: planning N agreements × 17 activities vs a raw COPY of the same rows, measured in the same run.

    .venv/bin/python services/scheduler/bench/bench_plans.py [agreements=10000]

Uses BENCH_DATABASE_URL (a superuser URL) or starts a throwaway embedded PostgreSQL. Prints figures; never fails
on a time (a benchmark is not a test). Target: plan rate ≥ 0.3 × raw COPY rate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository's bench package

from bench.plans import TENANT, add_staff, payloads
from scheduler.plans import repository as repo
from scheduler.plans.bulk import COPY_CHUNK_AGREEMENTS, AgreementPlan, TenantRules, plan_agreements, rows_for, with_ids
from scheduler.plans.schemas import AgreementActivated
from vcio_shared.db import create_engine, make_sessionmaker
from vcio_shared.embedded import Postgres
from vcio_shared.migrations import upgrade
from vcio_shared.settings import to_driver_url

LONG = {"timeout": 5, "command_timeout": 1800}


def make_plans(n: int) -> list[AgreementPlan]:
    """The agreements `make bench` plans (bench/plans.py): random 2027 starts, 12-month terms, 17 activities."""
    return [AgreementPlan(TENANT, AgreementActivated.model_validate(d)) for d in payloads(n)]


def fresh_db(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rpartition("/")[0] + "/" + name
    upgrade("scheduler", url)
    return url


async def main(n: int) -> None:
    admin = os.environ.get("BENCH_DATABASE_URL")
    server = None
    tmp = None
    if not admin:
        tmp = tempfile.TemporaryDirectory(prefix="vcio-bench-")
        os.chmod(tmp.name, 0o755)
        server = Postgres(Path(tmp.name) / "data").start()
        admin = server.url
    try:
        plans = make_plans(n)
        now = dt.datetime.now(dt.UTC)
        # the exact rows the planner writes, built before the clock starts: the baseline only copies them
        records = []
        for p in plans:
            e = p.event
            records.extend(
                with_ids(
                    rows_for(
                        p.tenant_id,
                        (e.the_agreement_id, e.client.id),
                        e.activities,
                        e.start_date,
                        (e.start_date, e.end_date),
                        TenantRules(None, "skip"),
                        None,
                        now,
                    )
                )
            )
        rows = len(records)

        engine = create_engine(to_driver_url(fresh_db(admin, "bench_copy"), "asyncpg"), connect_args=LONG)
        sm = make_sessionmaker(engine)
        async with sm() as s:
            t0 = time.perf_counter()
            async with s.begin():
                # the same chunking as plan_agreements (1,000 agreements = 120,000 rows per COPY)
                for i in range(0, len(records), 120 * COPY_CHUNK_AGREEMENTS):
                    await repo.copy_activities(s, records[i : i + 120 * COPY_CHUNK_AGREEMENTS])
            copy_s = time.perf_counter() - t0
        await engine.dispose()
        del records

        plan_url = fresh_db(admin, "bench_plan")
        await add_staff(plan_url)
        engine = create_engine(to_driver_url(plan_url, "asyncpg"), connect_args=LONG)
        sm = make_sessionmaker(engine)
        async with sm() as s:
            t0 = time.perf_counter()
            async with s.begin():
                result = await plan_agreements(s, plans, now)
            plan_s = time.perf_counter() - t0
        await engine.dispose()
        assert result.activities == rows, (result.activities, rows)

        copy_rate, plan_rate = rows / copy_s, rows / plan_s
        print(f"agreements: {n:,}   activity templates each: 17   activity rows: {rows:,}")
        print(f"raw COPY of the rows (+commit):  {copy_s:8.2f} s  {copy_rate:12,.0f} rows/s")
        print(
            f"plan_agreements (expand, assign, COPY, events, audit, commit): {plan_s:8.2f} s  {plan_rate:12,.0f} rows/s"
        )
        print(f"ratio plan/COPY: {plan_rate / copy_rate:.2f}  (target ≥ 0.30)")
    finally:
        if server is not None:
            server.stop()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
