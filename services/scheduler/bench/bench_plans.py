"""Benchmark: planning N agreements × 17 activities vs a raw COPY of the same rows, measured in the same run.

    .venv/bin/python services/scheduler/bench/bench_plans.py [agreements=10000]

Uses BENCH_DATABASE_URL (a superuser URL) or starts a throwaway embedded PostgreSQL. Prints figures; never fails
on a time (a benchmark is not a test). Target: plan rate ≥ 0.3 × raw COPY rate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from scheduler.plans import repository as repo
from scheduler.plans.bulk import COPY_CHUNK_AGREEMENTS, AgreementPlan, TenantRules, plan_agreements, rows_for, with_ids
from scheduler.plans.schemas import AgreementActivated
from vcio_shared.db import create_engine, make_sessionmaker
from vcio_shared.embedded import Postgres
from vcio_shared.migrations import upgrade
from vcio_shared.settings import to_driver_url

TENANT = "bench-msp"
LONG = {"timeout": 5, "command_timeout": 1800}


def package() -> list[dict]:
    def act(name: str, cadence: str, role: str, effort: str, category: str) -> dict:
        return {
            "name": name,
            "category": category,
            "track": "business",
            "billing_mode": "included",
            "cadence": cadence,
            "role": role,
            "effort_hours": effort,
            "deliverable": f"{name} notes",
        }

    monthly = [
        act(f"Monthly {n}", "FREQ=MONTHLY", "technical_account_manager", "1.5", "cybersecurity")
        for n in (
            "ticket review",
            "patch review",
            "backup check",
            "security report",
            "license review",
            "asset review",
            "service review",
            "satisfaction check",
        )
    ]
    quarterly = [
        act(f"Quarterly {n}", "FREQ=MONTHLY;INTERVAL=3", "vcio", "3", "it_strategy")
        for n in ("business review", "roadmap update", "budget review", "risk review", "vendor review")
    ]
    annual = [
        act(f"Annual {n}", "FREQ=YEARLY", "account_manager", "8", "account_management")
        for n in ("strategy plan", "NIST assessment", "renewal review", "DR test")
    ]
    return monthly + quarterly + annual


def make_plans(n: int) -> list[AgreementPlan]:
    rng = random.Random(7)
    acts = package()
    zones = ["America/New_York", "America/Chicago", "Europe/London", "Australia/Sydney"]
    out = []
    for _ in range(n):
        start = dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(365))
        end = (
            start.replace(year=start.year + 1)
            if not (start.month == 2 and start.day == 29)
            else dt.date(start.year + 1, 3, 1)
        )
        agreement_id = uuid.uuid4()
        out.append(
            AgreementPlan(
                TENANT,
                AgreementActivated.model_validate(
                    {
                        "id": str(agreement_id),
                        "agreement_id": str(agreement_id),
                        "client": {"id": str(uuid.uuid4()), "name": "Client", "timezone": rng.choice(zones)},
                        "package": {"id": str(uuid.uuid4()), "version": 1, "name": "vCIO Core"},
                        "start_date": start.isoformat(),
                        "end_date": end.isoformat(),
                        "activities": acts,
                    }
                ),
            )
        )
    return out


def fresh_db(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rpartition("/")[0] + "/" + name
    upgrade("scheduler", url)
    return url


async def staff(session_maker) -> None:
    import sqlalchemy as sa

    async with session_maker() as s, s.begin():
        for i, roles in enumerate(
            [
                ["vcio"],
                ["vcio"],
                ["account_manager"],
                ["technical_account_manager"],
                ["technical_account_manager", "engineer"],
            ]
        ):
            await s.execute(
                sa.text(
                    "INSERT INTO staff_members (id, tenant_id, name, roles, weekly_capacity_hours, active, created_at, "
                    "updated_at) VALUES (:id, :t, :n, :r, 40, true, now(), now())"
                ),
                {"id": uuid.uuid4(), "t": TENANT, "n": f"Staff {i}", "r": roles},
            )


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

        engine = create_engine(to_driver_url(fresh_db(admin, "bench_plan"), "asyncpg"), connect_args=LONG)
        sm = make_sessionmaker(engine)
        await staff(sm)
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
