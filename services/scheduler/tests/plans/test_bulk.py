"""Planning agreements into dated activities: many in one transaction (what a backfill or the benchmark calls),
and exactly the occurrences a proposal quotes."""

import datetime as dt
import uuid

import pytest
from scheduler_helpers import TENANT, Scheduler, activated_data, activity

from proposals.proposals.calc import schedule_summary
from scheduler.plans.bulk import AgreementPlan, plan_agreements
from scheduler.plans.schemas import AgreementActivated
from vcio_shared.dates import term_end

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


# every kind of rule a package may carry; UNTIL in two spellings, read alike
QUOTED = [
    ("Monthly", "FREQ=MONTHLY"),
    ("Quarterly", "FREQ=MONTHLY;INTERVAL=3"),
    ("Annual", "FREQ=YEARLY"),
    ("Weekly on Tuesday", "FREQ=WEEKLY;BYDAY=TU"),
    ("First Monday", "FREQ=MONTHLY;BYDAY=1MO"),
    ("Last Friday", "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=FR"),
    ("Monthly until October", "FREQ=MONTHLY;UNTIL=20271015"),
    ("Monthly until October UTC", "FREQ=MONTHLY;UNTIL=20271015T000000Z"),
    ("Five months", "FREQ=MONTHLY;COUNT=5"),
    ("Leap day", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
]


@pytest.mark.parametrize(
    ("start", "term_months"), [(dt.date(2027, 1, 31), 12), (dt.date(2027, 3, 15), 30), (dt.date(2028, 2, 29), 12)]
)
async def test_a_proposal_quotes_the_count_the_scheduler_plans(
    svc: Scheduler, start: dt.date, term_months: int
) -> None:
    package = {"activities": [activity(name, rule) for name, rule in QUOTED]}
    quoted = {s["name"]: s["occurrences"] for s in schedule_summary(package, [], start, term_months)}
    end = term_end(start, term_months)
    data = await svc.activate(start=start.isoformat(), end=end.isoformat(), activities=package["activities"])
    rows = await svc.rows(
        "SELECT name, count(*) AS n FROM activities WHERE agreement_id = :a GROUP BY name", a=data["agreement_id"]
    )
    planned = {r["name"]: r["n"] for r in rows}
    assert planned == {name: n for name, n in quoted.items() if n}
    assert quoted["Monthly until October"] == quoted["Monthly until October UTC"]
    if (start, term_months) == (dt.date(2027, 1, 31), 12):
        # RFC 5545: a monthly rule from the 31st skips the five shorter months; October's 31st is past UNTIL
        assert (quoted["Monthly"], quoted["Monthly until October"], quoted["Five months"]) == (7, 5, 5)
        assert (quoted["Weekly on Tuesday"], quoted["Leap day"]) == (52, 0)
