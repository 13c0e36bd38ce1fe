"""Delivery plans: N agreements × 17 activities → activity rows committed, beside a raw COPY of the same rows.

The scheduler's bulk entry point is `scheduler.plans.bulk.plan_agreements(session, plans, now)` (what its
agreement.activated consumer calls with one agreement, and a backfill with thousands). It runs here, in the bench
process, on a fresh migrated scheduler database of the same PostgreSQL: validating the N agreement.activated
payloads, expanding RRULEs, moving weekends, assigning staff, COPY, plan.created events, audit rows, commit.
The baseline builds the exact same rows first (untimed) and COPYs them (asyncpg copy_records_to_table) into
another fresh migrated scheduler database, one transaction, commit included."""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from typing import Any

import asyncpg
import sqlalchemy as sa

from bench.figures import rate_figure
from bench.flow import activities
from bench.results import Results, console
from bench.stack import Stack
from vcio_shared.db import create_engine, make_sessionmaker
from vcio_shared.migrations import upgrade
from vcio_shared.settings import to_driver_url

TENANT = "bench-plans"
ZONES = ["America/New_York", "America/Chicago", "Europe/London", "Australia/Sydney"]


def payloads(n: int) -> list[dict[str, Any]]:
    """agreement.activated data for n agreements starting on random days of 2027, 12-month terms."""
    rng = random.Random(7)
    acts = activities()
    out = []
    for _ in range(n):
        start = dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(365))
        end = (
            start.replace(year=start.year + 1) if (start.month, start.day) != (2, 29) else dt.date(start.year + 1, 3, 1)
        )
        agreement = uuid.uuid4()
        out.append(
            {
                "id": str(agreement),
                "agreement_id": str(agreement),
                "client": {"id": str(uuid.uuid4()), "name": "Client", "timezone": rng.choice(ZONES)},
                "package": {"id": str(uuid.uuid4()), "version": 1, "name": "vCIO Growth"},
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "activities": acts,
            }
        )
    return out


def fresh_db(stack: Stack, name: str) -> str:
    url = stack.new_database(name)
    upgrade("scheduler", url)
    return url


async def add_staff(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for i, roles in enumerate(
            [
                ["vcio"],
                ["vcio"],
                ["account_manager"],
                ["technical_account_manager"],
                ["technical_account_manager", "engineer"],
            ]
        ):
            await conn.execute(
                "INSERT INTO staff_members (id, tenant_id, name, roles, weekly_capacity_hours, active, created_at, "
                "updated_at) VALUES ($1, $2, $3, $4, 40, true, now(), now())",
                uuid.uuid4(),
                TENANT,
                f"Staff {i}",
                roles,
            )
    finally:
        await conn.close()


async def run(stack: Stack, results: Results, n: int) -> None:
    from scheduler.plans import repository as repo
    from scheduler.plans.bulk import AgreementPlan, TenantRules, plan_agreements, rows_for, with_ids
    from scheduler.plans.schemas import AgreementActivated

    data = payloads(n)
    now = dt.datetime.now(dt.UTC)

    # the baseline's rows: exactly what the planner writes (assignees aside), built before its clock starts
    records: list[tuple[Any, ...]] = []
    for d in data:
        e = AgreementActivated.model_validate(d)
        agreement = (e.the_agreement_id, e.client.id)
        window = (e.start_date, e.end_date)
        rules = TenantRules(None, "skip")
        records.extend(with_ids(rows_for(TENANT, agreement, e.activities, e.start_date, window, rules, None, now)))
    rows = len(records)
    copy_url = fresh_db(stack, "bench_plans_copy")
    conn = await asyncpg.connect(copy_url)
    try:
        t0 = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("activities", records=records, columns=repo.ACTIVITY_COPY_COLUMNS)
        copy_s = time.perf_counter() - t0
    finally:
        await conn.close()
    del records

    plan_url = fresh_db(stack, "bench_plans")
    await add_staff(plan_url)
    engine = create_engine(to_driver_url(plan_url, "asyncpg"))
    try:
        sessionmaker = make_sessionmaker(engine)
        t0 = time.perf_counter()
        plans = [AgreementPlan(TENANT, AgreementActivated.model_validate(d)) for d in data]
        async with sessionmaker() as session, session.begin():
            result = await plan_agreements(session, plans, now)
        plan_s = time.perf_counter() - t0
        async with sessionmaker() as session:
            committed = (await session.execute(sa.text("SELECT count(*) FROM activities"))).scalar_one()
    finally:
        await engine.dispose()
    if committed != rows or result.activities != rows:
        raise RuntimeError(f"planned {result.activities} / committed {committed} activities, expected {rows}")
    console.print(f"{n:,} agreements → {rows:,} activities in {plan_s:.2f}s; raw COPY of the same rows {copy_s:.2f}s")
    results.add(
        rate_figure(
            "delivery_plans_rate",
            rows / plan_s,
            rows / copy_s,
            unit="activities/s",
            baseline=f"raw COPY of the same {rows:,} rows (asyncpg, one transaction)",
            floor=0.3,
            extra={"agreements": n, "activities": rows, "plan_s": round(plan_s, 2), "copy_s": round(copy_s, 2)},
        )
    )
