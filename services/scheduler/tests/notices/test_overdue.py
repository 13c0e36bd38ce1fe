"""The overdue notice: when the sweep flags an activity, one message to its assignee with the vCIOs in copy,
once per activity however often the sweep runs or the notice is written again."""

import datetime as dt

from notice_helpers import assign, by_due, mail_items, parts, settings, staff
from scheduler_helpers import Scheduler, activity, auth_headers

from scheduler.activities import repository as activities_repo
from scheduler.activities.notices import overdue_notices
from scheduler.main import OVERDUE_SWEEP
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.testing import eventually


async def test_one_notice_to_the_assignee_and_the_vcios_once(mailing: Scheduler, smtp: SmtpRecorder) -> None:
    svc = mailing
    data = await svc.activate(
        activities=[activity("Monthly ticket review", role="vcio", effort="2.5")],
        client_name="Acme Dental",
        timezone="America/New_York",
    )
    ada = await staff(svc, "Ada", "ada@msp.example", ["engineer"])
    await staff(svc, "Val", "val@msp.example", ["vcio"])
    await staff(svc, "Dee", "dee@msp.example", ["vcio", "account_manager"])
    await staff(svc, "Ned", None, ["vcio"])  # a vCIO without an address: not mailed
    sam = await staff(svc, "Sam", "sam@msp.example", ["vcio"])
    r = await svc.client.patch(f"/v1/staff/{sam}", json={"active": False}, headers=auth_headers())
    assert r.status_code == 200, r.text  # an inactive vCIO: not mailed
    await staff(svc, "Ola", "ola@msp.example", ["vcio"], tenant="tenant-b")  # another tenant's vCIO
    await settings(svc, mail_reply_to="ops@msp.example")
    due = await by_due(svc, data["agreement_id"])
    await assign(svc, due["2027-01-04"], ada)

    svc.clock.set(dt.datetime(2027, 1, 6, 12, tzinfo=dt.UTC))  # 4 January is past in New York; 4 February is not
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 1
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 0
    await eventually(lambda: len(smtp.messages) == 1)
    [msg] = smtp.messages
    # (.strip(): the 72-character subject is folded whole onto a continuation line, whose leading space the
    # `email` parser keeps; a mail client unfolds it away)
    subject = str(msg["Subject"]).strip()
    assert (msg["To"], msg["Cc"], subject, msg["Reply-To"], msg["List-Unsubscribe"]) == (
        "ada@msp.example",
        "dee@msp.example, val@msp.example",
        "Overdue: Monthly ticket review for Acme Dental, due Mon 4 January 2027",
        "ops@msp.example",
        "<mailto:ops@msp.example?subject=unsubscribe>",
    )
    assert sorted(smtp.envelopes[0][1]) == ["ada@msp.example", "dee@msp.example", "val@msp.example"]
    text, html = parts(msg)
    assert "it was due on Mon 4 January 2027 (America/New_York, the client's time zone) and is still planned" in text
    lines = text.splitlines()
    assert ("Assignee:    Ada" in lines, "Hours:       2.50" in lines, "Role:        vcio" in lines) == (True,) * 3
    assert f"<tr><th>Activity id</th><td>{due['2027-01-04']}</td></tr>" in html

    # The notice written again for the same activity (a sweep re-run, a replica's retry): nothing new.
    async with svc.runtime.sessionmaker() as session, session.begin():
        row = await activities_repo.get(session, "tenant-a", due["2027-01-04"], svc.clock.now())
        assert await overdue_notices(session, [row], svc.clock.now()) == 0
    assert svc.runtime.mail is not None  # VCIO_SMTP_URL is set
    assert (await svc.runtime.mail.send_due()).rows == 0
    [item] = await mail_items(svc)
    assert (item["cause"], item["client_id"], item["to"]) == (
        f"overdue:{due['2027-01-04']}",
        data["client"]["id"],
        ["ada@msp.example"],
    )

    # February's is unassigned: the vCIOs alone get it.
    svc.clock.set(dt.datetime(2027, 2, 6, 12, tzinfo=dt.UTC))
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 1
    await eventually(lambda: len(smtp.messages) == 2)
    second = smtp.messages[1]
    assert (second["To"], second["Cc"]) == ("dee@msp.example, val@msp.example", None)
    assert "Assignee:    unassigned" in parts(second)[0].splitlines()
    assert len(set(smtp.message_ids())) == 2
