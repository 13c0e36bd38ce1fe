"""The weekly digest: Monday 07:00 in the tenant's time zone, each consultant's open activities of that week, once
per staff member and ISO week, nothing for someone with nothing due (or without an address)."""

import datetime as dt
import re

from notice_helpers import assign, by_due, mail_items, parts, settings, staff
from scheduler_helpers import OTHER, Scheduler, activity

from scheduler.main import DIGEST_SWEEP
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.testing import eventually


def at(day: str, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hh, minute=mm, tzinfo=dt.UTC)


async def test_each_consultant_gets_their_week_once_and_a_new_one_next_week(
    mailing: Scheduler, smtp: SmtpRecorder
) -> None:
    svc = mailing
    patch = await svc.activate(
        start="2027-01-04",
        end="2027-02-01",
        activities=[activity("Patch review", cadence="FREQ=WEEKLY", role="engineer", effort="1.5")],
        client_name="Acme Dental",
        timezone="America/New_York",
    )
    backup = await svc.activate(
        start="2027-01-06",
        end="2027-02-01",
        activities=[activity("Backup check", cadence="FREQ=WEEKLY", role="engineer", effort="0.75")],
        client_name="Birch Law",
        timezone="Europe/Berlin",
    )
    ada = await staff(svc, "Ada", "ada@msp.example", ["engineer"])
    bob = await staff(svc, "Bob", "bob@msp.example", ["engineer"])
    cy = await staff(svc, "Cy", None, ["engineer"])  # no address: never mailed
    await staff(svc, "Dee", "dee@msp.example", ["vcio"])  # nothing assigned: no digest
    patches, backups = await by_due(svc, patch["agreement_id"]), await by_due(svc, backup["agreement_id"])
    assert sorted(patches) == ["2027-01-04", "2027-01-11", "2027-01-18", "2027-01-25"]
    assert sorted(backups) == ["2027-01-06", "2027-01-13", "2027-01-20", "2027-01-27"]
    await assign(svc, backups["2027-01-06"], ada)
    await assign(svc, patches["2027-01-04"], ada)
    await assign(svc, patches["2027-01-11"], bob)
    await assign(svc, backups["2027-01-13"], ada)
    await assign(svc, patches["2027-01-18"], cy)
    await assign(svc, backups["2027-01-20"], ada)  # week 3: not in the first two digests
    await settings(svc, mail_reply_to="ops@msp.example")  # time zone UTC (the default)

    svc.clock.set(at("2027-01-04", 6, 59))  # Monday, before 07:00
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 0
    svc.clock.set(at("2027-01-04", 7, 0))
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 1
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 0  # the same Monday again
    svc.clock.set(at("2027-01-05", 7, 30))  # Tuesday: not a digest day
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 0
    await eventually(lambda: len(smtp.messages) == 1)

    [msg] = smtp.messages
    assert (msg["To"], msg["Subject"], msg["Reply-To"], msg["List-Unsubscribe"]) == (
        "ada@msp.example",
        "Your week of Mon 4 January 2027: 2 activities, 2.25 h",
        "ops@msp.example",
        "<mailto:ops@msp.example?subject=unsubscribe>",
    )
    text, html = parts(msg)
    assert [line for line in text.splitlines() if line.startswith("- ")] == [
        "- Mon 4 January 2027: Patch review for Acme Dental (America/New_York), engineer, 1.50 h, planned",
        "- Wed 6 January 2027: Backup check for Birch Law (Europe/Berlin), engineer, 0.75 h, planned",
    ]
    assert "week of Mon 4 January 2027 to Sun 10 January 2027 (2027-W01)" in text
    rows = re.findall(r"<tr><td>(.*?)</td><td>.*?</td><td>(.*?)</td><td>(.*?)</td>", html)
    assert rows == [
        ("Mon 4 January 2027", "Patch review", "Acme Dental (America/New_York)"),
        ("Wed 6 January 2027", "Backup check", "Birch Law (Europe/Berlin)"),
    ]

    svc.clock.set(at("2027-01-11", 9, 15))  # next Monday
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 2
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 0
    await eventually(lambda: len(smtp.messages) == 3)
    week2 = {str(m["To"]): m for m in smtp.messages[1:]}
    assert sorted(week2) == ["ada@msp.example", "bob@msp.example"]
    assert week2["ada@msp.example"]["Subject"] == "Your week of Mon 11 January 2027: 1 activity, 0.75 h"
    assert week2["bob@msp.example"]["Subject"] == "Your week of Mon 11 January 2027: 1 activity, 1.50 h"
    assert [line for line in parts(week2["bob@msp.example"])[0].splitlines() if line.startswith("- ")] == [
        "- Mon 11 January 2027: Patch review for Acme Dental (America/New_York), engineer, 1.50 h, planned"
    ]
    listed = await eventually(lambda: _all_sent(svc))  # every digest went: sent, at the first attempt
    assert sorted(m["cause"] for m in listed) == sorted(
        [f"digest:{ada}:2027-W01", f"digest:{ada}:2027-W02", f"digest:{bob}:2027-W02"]
    )
    assert {m["client_id"] for m in listed} == {None}
    assert len(set(smtp.message_ids())) == 3


async def _all_sent(svc: Scheduler) -> list[dict[str, object]]:
    items = await mail_items(svc)
    return items if items and all(m["status"] == "sent" and m["attempts"] == 1 for m in items) else []


async def test_the_digest_goes_at_monday_0700_in_the_tenants_time_zone(mailing: Scheduler, smtp: SmtpRecorder) -> None:
    svc = mailing
    data = await svc.activate(
        tenant=OTHER,
        start="2027-01-05",
        end="2027-02-01",
        activities=[activity("Firewall audit", cadence="FREQ=WEEKLY", role="engineer", effort="3")],
        timezone="Asia/Tokyo",
    )
    eve = await staff(svc, "Eve", "eve@msp.example", ["engineer"], tenant=OTHER)
    await assign(svc, (await by_due(svc, data["agreement_id"], OTHER))["2027-01-05"], eve, tenant=OTHER)
    assert (await settings(svc, OTHER, timezone="America/Los_Angeles"))["timezone"] == "America/Los_Angeles"

    svc.clock.set(at("2027-01-04", 14, 59))  # 06:59 on Monday in Los Angeles
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 0
    svc.clock.set(at("2027-01-04", 15, 0))  # 07:00 there
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 1
    svc.clock.set(at("2027-01-05", 7, 59))  # 23:59 on Monday there: still that Monday, already sent
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 0
    await eventually(lambda: len(smtp.messages) == 1)
    [msg] = smtp.messages
    assert msg["Subject"] == "Your week of Mon 4 January 2027: 1 activity, 3.00 h"
    assert msg["List-Unsubscribe"] is None and msg["Reply-To"] is None  # the tenant set no address
    [item] = await mail_items(svc, OTHER)
    assert item["cause"] == f"digest:{eve}:2027-W01"
