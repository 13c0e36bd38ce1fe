"""Auto-assignment: new activities go to staff of the role, balancing load."""

from scheduler_helpers import Scheduler, activity


async def test_new_activities_are_assigned_by_role_balancing_load(svc: Scheduler) -> None:
    dana = await svc.add_staff("Dana", ["vcio"], "40")
    eli = await svc.add_staff("Eli", ["vcio", "technical_account_manager"], "20")
    fay = await svc.add_staff("Fay", ["engineer"], "40")
    data = await svc.activate(
        start="2027-01-04",
        end="2027-04-04",
        activities=[
            activity("Strategy session", "FREQ=WEEKLY", "vcio", "10"),
            activity("Ticket review", "FREQ=MONTHLY", "technical_account_manager", "2"),
        ],
    )
    items = await svc.activities(data["agreement_id"])
    strategy = [a["assignee_id"] for a in items if a["name"] == "Strategy session"]
    # each week: 10 h goes to Dana (10/40 = 25 %) rather than Eli (10/20 = 50 %)
    assert strategy == [dana] * 13
    # ticket reviews only Eli has the role for
    assert [a["assignee_id"] for a in items if a["name"] == "Ticket review"] == [eli, eli, eli]
    second = await svc.activate(
        start="2027-01-04",
        end="2027-01-11",
        activities=[
            activity("Strategy session", "FREQ=WEEKLY", "vcio", "10"),
            activity("Strategy session", "FREQ=WEEKLY", "vcio", "10"),
            activity("Strategy session", "FREQ=WEEKLY", "vcio", "10"),
        ],
    )
    # the week of 4 Jan: Dana has 10 h booked. Next: Dana 20/40 = 50 % vs Eli 10/20 = 50 % → fewer hours in total
    # wins (Eli); then Dana 20/40 = 50 % vs Eli 20/20 = 100 % → Dana
    assert sorted(a["assignee_id"] for a in await svc.activities(second["agreement_id"])) == sorted([eli, dana, dana])
    assert fay not in {a["assignee_id"] for a in items}
