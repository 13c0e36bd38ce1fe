"""Billing runs: stream due agreements in keyset chunks, plan in Python, write each chunk set-based, commit.

A chunk is one transaction: its agreements are locked FOR UPDATE, its invoices, lines, outbox rows and the
agreements' `next_bill_date` commit together. A crash loses at most the chunk in flight; a rerun (or a
concurrent run, which waits on the locks) finds those agreements already advanced, and the unique key
(agreement, period_start, kind) refuses any second invoice for a period regardless.

A dry run does exactly the same work in one transaction and rolls it back: it returns what a real run would
make, numbers included, and writes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as agreements_repo
from billing.invoices.views import with_client_name
from billing.runs import repository as repo
from billing.runs.chunk import ChunkResult, bill_chunk, failed
from billing.tenants import repository as tenants_repo
from vcio_shared import audit, events, money
from vcio_shared.errors import found
from vcio_shared.ids import uuid7

log = structlog.get_logger("billing.runs")
SERVICE = "billing"
CHUNK_SIZE = int(os.environ.get("BILLING_RUN_CHUNK_SIZE", "2000"))
WORKERS = int(os.environ.get("BILLING_RUN_WORKERS", "2"))


def run_out(
    row: Mapping[Any, Any], *, dry_run: bool = False, invoices_: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    out = {
        "id": str(row["id"]),
        "status": row["status"],
        "as_of": row["as_of"].isoformat(),
        "dry_run": dry_run,
        "trigger": row["trigger"],
        "agreements_total": row["agreements_total"],
        "agreements_processed": row["agreements_processed"],
        "invoices_created": row["invoices_created"],
        "totals": [{"currency": c, "amount": money.format(v, c)} for c, v in sorted(row["totals"].items())],
        "errors": row["errors"],
        "started_at": row["started_at"].isoformat(),
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
        "duration_ms": row["duration_ms"],
    }
    if invoices_ is not None:
        out["invoices"] = invoices_
    return out


async def start(
    session: AsyncSession, tenant_id: str, as_of: dt.date, *, trigger: str, created_by: str, now: dt.datetime
) -> dict[str, Any]:
    """Record a run as `running` (the caller commits it before the chunks start)."""
    run_id = uuid7()
    values = {
        "id": run_id,
        "tenant_id": tenant_id,
        "as_of": as_of,
        "status": "running",
        "trigger": trigger,
        "agreements_total": await repo.count_due(session, tenant_id, as_of),
        "agreements_processed": 0,
        "invoices_created": 0,
        "totals": {},
        "errors": [],
        "created_by": created_by,
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "duration_ms": None,
    }
    await repo.insert_run(session, values)
    await audit.record(
        session,
        created_by,
        "billing_run.started",
        "billing_run",
        run_id,
        {"as_of": as_of.isoformat(), "trigger": trigger},
        tenant_id=tenant_id,
    )
    return values


class _Workers:
    """The workers of one run: the keyset cursor they share, and the run's totals and errors so far."""

    def __init__(self, sessionmaker: Any, clock: Any, run: Mapping[Any, Any], *, draft: bool, chunk_size: int) -> None:
        self.sessionmaker, self.clock, self.draft, self.chunk_size = sessionmaker, clock, draft, chunk_size
        self.tenant_id, self.run_id, self.as_of = run["tenant_id"], run["id"], run["as_of"]
        self.totals: dict[str, int] = {}
        self.errors: list[dict[str, Any]] = []
        self.after: uuid.UUID | None = None
        self.scan = asyncio.Lock()

    async def next_ids(self, session: AsyncSession) -> list[uuid.UUID]:
        async with self.scan:  # one keyset cursor shared by the workers: each chunk goes to exactly one
            ids = await repo.due_ids(session, self.tenant_id, self.as_of, self.after, self.chunk_size)
            if ids:
                self.after = ids[-1]
            return ids

    async def bill(self, session: AsyncSession, ids: list[uuid.UUID]) -> None:
        """Bill one chunk and record the run's progress, in the session's transaction."""
        try:
            async with session.begin_nested():
                chunk = await bill_chunk(
                    session,
                    self.tenant_id,
                    ids,
                    self.as_of,
                    run_id=self.run_id,
                    draft=self.draft,
                    now=self.clock.now(),
                    collect=False,
                )
        except Exception as exc:  # the chunk rolled back as a whole; the rest of the run goes on
            log.warning("billing chunk failed", run=str(self.run_id), error=repr(exc)[:300])
            chunk = failed(ids, exc)
        for cur, amount in chunk.totals.items():
            self.totals[cur] = self.totals.get(cur, 0) + amount
        self.errors.extend(chunk.errors)
        await repo.progress(
            session,
            self.tenant_id,
            self.run_id,
            processed=chunk.processed,
            created=chunk.created,
            totals=self.totals,
            errors=self.errors[:1000],
            now=self.clock.now(),
        )

    async def work(self, on_progress: Any) -> None:
        while True:
            async with self.sessionmaker() as session:
                ids = await self.next_ids(session)
                if not ids:
                    await session.rollback()
                    return
                await self.bill(session, ids)
                await session.commit()
            if on_progress is not None:
                on_progress()


async def execute(
    sessionmaker: Any, clock: Any, run: Mapping[Any, Any], *, chunk_size: int = 0, on_progress: Any = None
) -> dict[str, Any]:
    """Bill a started run chunk by chunk, committing each; then complete it and emit billing_run.completed."""
    tenant_id, run_id = run["tenant_id"], run["id"]
    started = time.perf_counter()
    async with sessionmaker() as session:
        draft = bool((await tenants_repo.get(session, tenant_id))["draft_review"])
    workers = _Workers(sessionmaker, clock, run, draft=draft, chunk_size=chunk_size or CHUNK_SIZE)
    # Two workers: while one waits on PostgreSQL (its writes, or the number counter the other holds until it
    # commits), the other plans its chunk in Python. Numbers stay gapless: each block is taken under the lock.
    await asyncio.gather(*(workers.work(on_progress) for _ in range(WORKERS)))
    async with sessionmaker() as session, session.begin():
        await repo.update_run(
            session,
            tenant_id,
            run_id,
            {
                "status": "completed",
                "finished_at": clock.now(),
                "duration_ms": int((time.perf_counter() - started) * 1000),
            },
        )
        out = run_out(await repo.get_run(session, tenant_id, run_id))  # type: ignore[arg-type]
        await events.emit(session, SERVICE, "vcio.billing.billing_run.completed", tenant_id, out, subject=out["id"])
    if on_progress is not None:
        on_progress()
    return out


async def dry_run(
    sessionmaker: Any, clock: Any, tenant_id: str, as_of: dt.date, *, chunk_size: int = 0
) -> dict[str, Any]:
    """Everything a real run would do, in one transaction that is rolled back: nothing is written."""
    chunk_size = chunk_size or CHUNK_SIZE
    started = time.perf_counter()
    now = clock.now()
    run_id = uuid7()
    result = ChunkResult()
    async with sessionmaker() as session:
        await session.begin()
        try:
            draft = bool((await tenants_repo.get(session, tenant_id))["draft_review"])
            total = await repo.count_due(session, tenant_id, as_of)
            after: uuid.UUID | None = None
            while ids := await repo.due_ids(session, tenant_id, as_of, after, chunk_size):
                after = ids[-1]
                try:
                    async with session.begin_nested():
                        chunk = await bill_chunk(
                            session, tenant_id, ids, as_of, run_id=run_id, draft=draft, now=now, collect=True
                        )
                except Exception as exc:
                    chunk = failed(ids, exc)
                result.processed += chunk.processed
                result.created += chunk.created
                result.errors.extend(chunk.errors)
                result.invoices.extend(chunk.invoices)
                for cur, amount in chunk.totals.items():
                    result.totals[cur] = result.totals.get(cur, 0) + amount
            client_ids = [uuid.UUID(i["client_id"]) for i in result.invoices]
            names = await agreements_repo.client_names(session, tenant_id, client_ids)
            result.invoices = [with_client_name(i, names.get(i["client_id"])) for i in result.invoices]
        finally:
            await session.rollback()
    row = {
        "id": run_id,
        "status": "completed",
        "as_of": as_of,
        "trigger": "api",
        "agreements_total": total,
        "agreements_processed": result.processed,
        "invoices_created": result.created,
        "totals": result.totals,
        "errors": result.errors,
        "started_at": now,
        "finished_at": clock.now(),
        "duration_ms": int((time.perf_counter() - started) * 1000),
    }
    return run_out(row, dry_run=True, invoices_=result.invoices)


async def get_run(session: AsyncSession, tenant_id: str, run_id: uuid.UUID) -> dict[str, Any]:
    row = found(await repo.get_run(session, tenant_id, run_id), "no such billing run")
    return run_out(row)


async def list_runs(
    session: AsyncSession, tenant_id: str, after: uuid.UUID | None, limit: int, *, newest_first: bool = False
) -> list[dict[str, Any]]:
    rows = await repo.list_runs(session, tenant_id, after, limit, newest_first=newest_first)
    return [run_out(r) for r in rows]


def spawn(runtime: Any, coro: Any) -> asyncio.Task[Any]:
    """Keep a reference to a background run so it is not garbage-collected mid-way."""
    tasks: set[asyncio.Task[Any]] = runtime.extras.setdefault("billing_runs", set())
    task = asyncio.create_task(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task
