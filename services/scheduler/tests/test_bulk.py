"""Planning many agreements in one transaction (what a backfill or the benchmark calls)."""

import datetime as dt
import uuid

from scheduler_helpers import TENANT, Scheduler, activated_data, activity

from scheduler.plans.bulk import AgreementPlan, plan_agreements
from scheduler.plans.schemas import AgreementActivated

PACKAGE = (
    [activity(f"Monthly {i}", "FREQ=MONTHLY", "technical_account_manager", "1") for i in range(8)]
    + [activity(f"Quarterly {i}", "FREQ=MONTHLY;INTERVAL=3", "vcio", "3") for i in range(5)]
    + [activity(f"Annual {i}", "FREQ=YEARLY", "account_manager", "8") for i in range(4)]
)


def _plans(n: int) -> list[AgreementPlan]:
    # days 1-28 only: with the default RFC 5545 month-end rule every month has them (120 rows per agreement)
    starts = [dt.date(2027, 1 + i % 12, 1 + (3 * i) % 28) for i in range(n)]
    return [
        AgreementPlan(
            TENANT,
            AgreementActivated.model_validate(
                activated_data(start=s.isoformat(), end=s.replace(year=2028).isoformat(), activities=PACKAGE)
            ),
        )
        for s in starts
    ]


async def test_bulk_plan_of_50_agreements_times_17_activities(svc: Scheduler) -> None:
    plans = _plans(50)
    now = svc.clock.now()
    async with svc.runtime.sessionmaker() as session, session.begin():
        result = await plan_agreements(session, plans, now)
    # per agreement: 8 monthly × 12 + 5 quarterly × 4 + 4 annual × 1 = 120
    assert (result.agreements, result.activities) == (50, 6000)
    assert await svc.scalar("SELECT count(*) FROM activities") == 6000
    created = await svc.outbox("vcio.scheduler.plan.created")
    assert sorted(e["data"]["agreement_id"] for e in created) == sorted(str(p.event.the_agreement_id) for p in plans)
    assert {e["data"]["activities"] for e in created} == {120}
    assert await svc.scalar("SELECT count(*) FROM audit_log WHERE action = 'plan.created'") == 50
    assert await svc.scalar("SELECT count(*) FROM activities WHERE extract(isodow FROM due_date) > 5") == 0


async def test_bulk_plan_skips_agreements_already_planned(svc: Scheduler) -> None:
    plans = _plans(3)
    now = svc.clock.now()
    async with svc.runtime.sessionmaker() as session, session.begin():
        await plan_agreements(session, plans[:2], now)
    async with svc.runtime.sessionmaker() as session, session.begin():
        result = await plan_agreements(session, plans + plans[2:], now)
    assert (result.agreements, result.activities) == (1, 120)
    assert sorted(result.skipped) == sorted(p.event.the_agreement_id for p in plans[:2])
    assert await svc.scalar("SELECT count(*) FROM activities") == 360
    assert await svc.scalar("SELECT count(DISTINCT agreement_id) FROM activities") == 3
    assert isinstance(result.skipped[0], uuid.UUID)
