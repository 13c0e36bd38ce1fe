"""The overdue sweep: one `activity.overdue` per activity, one replica at a time."""

import datetime as dt

from scheduler_helpers import Scheduler

from scheduler.main import OVERDUE_SWEEP


async def test_overdue_sweep_emits_once_per_activity(svc: Scheduler) -> None:
    await svc.activate()
    svc.clock.set(dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC))
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 3
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 0
    events = await svc.outbox("vcio.scheduler.activity.overdue")
    assert [(e["data"]["due_date"], e["data"]["overdue"], e["data"]["status"]) for e in events] == [
        ("2027-01-04", True, "planned"),
        ("2027-02-04", True, "planned"),
        ("2027-03-04", True, "planned"),
    ]
    svc.clock.set(dt.datetime(2027, 4, 6, 12, tzinfo=dt.UTC))
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 1
    assert len(await svc.outbox("vcio.scheduler.activity.overdue")) == 4


async def test_overdue_sweep_skips_when_another_replica_holds_the_lock(svc: Scheduler) -> None:
    await svc.activate()
    svc.clock.set(dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC))
    from vcio_shared.db import advisory_xact_lock

    async with svc.runtime.sessionmaker() as other, other.begin():
        assert await advisory_xact_lock(other, "scheduler:overdue")
        assert await svc.runtime.run_sweep(OVERDUE_SWEEP) is None
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 3
