"""The scheduler's mail list is each tenant's own, and a bad staff address never reaches a header: CR/LF is refused
when the staff member is made; an address the mail path refuses later skips that one message, logged, while the
sweep goes on with the others."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import sqlalchemy as sa
import structlog
from notice_helpers import assign, by_due, mail_items, settings, staff
from scheduler_helpers import OTHER, TENANT, Scheduler, activity, auth_headers
from structlog.testing import capture_logs

from scheduler.main import DIGEST_SWEEP, OVERDUE_SWEEP
from vcio_shared import logging as vlog
from vcio_shared.mail import outbox as mail_outbox
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.testing import eventually

MONDAY_0800 = dt.datetime(2027, 1, 4, 8, tzinfo=dt.UTC)


async def _weekly(svc: Scheduler, tenant: str, client_name: str) -> dict[str, str]:
    data = await svc.activate(
        tenant=tenant,
        start="2027-01-04",
        end="2027-02-01",
        activities=[activity("Patch review", cadence="FREQ=WEEKLY", role="engineer", effort="1")],
        client_name=client_name,
    )
    return {"client_id": data["client"]["id"], **await by_due(svc, data["agreement_id"], tenant)}


async def test_each_tenant_lists_only_its_own_mail(mailing: Scheduler, smtp: SmtpRecorder) -> None:
    svc = mailing
    a = await _weekly(svc, TENANT, "Acme Dental")
    b = await _weekly(svc, OTHER, "Birch Law")
    ada = await staff(svc, "Ada", "ada@msp.example", ["engineer"])
    bea = await staff(svc, "Bea", "bea@other.example", ["engineer"], tenant=OTHER)
    await assign(svc, a["2027-01-04"], ada)
    await assign(svc, b["2027-01-04"], bea, tenant=OTHER)
    svc.clock.set(MONDAY_0800)
    assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 2
    svc.clock.set(dt.datetime(2027, 1, 6, 12, tzinfo=dt.UTC))  # both 4 January activities now overdue
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 2
    await eventually(lambda: len(smtp.messages) == 4)

    mine = await mail_items(svc, TENANT)
    theirs = await mail_items(svc, OTHER)
    assert [(m["cause"], m["to"]) for m in mine] == [
        (f"overdue:{a['2027-01-04']}", ["ada@msp.example"]),
        (f"digest:{ada}:2027-W01", ["ada@msp.example"]),
    ]
    assert [(m["cause"], m["to"]) for m in theirs] == [
        (f"overdue:{b['2027-01-04']}", ["bea@other.example"]),
        (f"digest:{bea}:2027-W01", ["bea@other.example"]),
    ]
    assert [m["cause"] for m in await mail_items(svc, TENANT, client_id=a["client_id"])] == [
        f"overdue:{a['2027-01-04']}"
    ]
    assert await mail_items(svc, OTHER, client_id=a["client_id"]) == []  # A's client, asked by B
    r = await svc.client.get("/v1/mail", headers=auth_headers(TENANT, scopes="billing:read"))
    assert r.status_code == 403


async def test_cr_lf_in_a_staff_address_or_the_reply_to_is_a_422(mailing: Scheduler) -> None:
    svc = mailing
    body = {"name": "Mal", "email": "mal@msp.example\r\nBcc: all@evil.example", "roles": ["engineer"]}
    r = await svc.client.post("/v1/staff", json={**body, "weekly_capacity_hours": "40"}, headers=auth_headers())
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    for reply_to in ["ops@msp.example\r\nBcc: all@evil.example", "ops,all@msp.example"]:
        r = await svc.client.put("/v1/settings", json={"mail_reply_to": reply_to}, headers=auth_headers())
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", reply_to
    assert (await svc.client.get("/v1/settings", headers=auth_headers())).json()["mail_reply_to"] is None
    assert (await svc.client.get("/v1/staff", headers=auth_headers())).json()["items"] == []


# Only these: a background warning in the same window (a relay's slow ack on a loaded machine) is not this test's
SKIPPED = "mail skipped: a header value is refused"


@contextmanager
def _skips() -> Iterator[list[dict[str, Any]]]:
    """What the mail path logs. capture_logs alone misses it once an earlier test in this worker used the mail
    logger and a later service start configured logging again: the cached logger keeps the processor list of its
    first use, and capture_logs changes only the current one. A fresh logger, bound while capturing, is caught."""
    with capture_logs() as logs, patch.object(mail_outbox, "log", structlog.get_logger("vcio.mail")):
        yield logs


async def test_an_address_the_mail_path_refuses_skips_that_mail_and_the_sweep_goes_on(
    mailing: Scheduler, smtp: SmtpRecorder
) -> None:
    svc = mailing
    acme = await _weekly(svc, TENANT, "Acme Dental")
    birch = await _weekly(svc, TENANT, "Birch Law")
    # Staff creation refuses it now (422, below), but a row written before that check holds it: to the mail path it
    # is two addresses.
    refused = await svc.client.post(
        "/v1/staff",
        json={"name": "Mal", "email": "mal,eve@msp.example", "roles": ["engineer"], "weekly_capacity_hours": "40"},
        headers=auth_headers(),
    )
    assert refused.status_code == 422, refused.text
    mal = await staff(svc, "Mal", "mal@msp.example", ["engineer"])
    async with svc.runtime.sessionmaker() as session, session.begin():
        await session.execute(
            sa.text("UPDATE staff_members SET email = 'mal,eve@msp.example' WHERE id = CAST(:id AS uuid)"), {"id": mal}
        )
    bob = await staff(svc, "Bob", "bob@msp.example", ["engineer"])
    await settings(svc, mail_reply_to="ops@msp.example")
    await assign(svc, acme["2027-01-04"], mal)
    await assign(svc, birch["2027-01-04"], bob)

    svc.clock.set(MONDAY_0800)
    # as an earlier test in this worker may have: the mail logger used, then another service started
    mail_outbox.log.info("used before")
    vlog.configure("catalog")
    with _skips() as logs:
        assert await svc.runtime.run_sweep(DIGEST_SWEEP) == 1  # Bob's
    assert [(e["event"], e["mail"], e["field"]) for e in logs if e["event"] == SKIPPED] == [
        (SKIPPED, f"digest:{mal}:2027-W01", "to[0]")
    ]

    svc.clock.set(dt.datetime(2027, 1, 6, 12, tzinfo=dt.UTC))  # both 4 January activities are overdue
    with _skips() as logs:
        assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 2
    assert [(e["mail"], e["field"]) for e in logs if e["event"] == SKIPPED] == [
        (f"overdue:{acme['2027-01-04']}", "to[0]")
    ]
    assert len(await svc.outbox("vcio.scheduler.activity.overdue")) == 2  # both flagged and announced
    await eventually(lambda: len(smtp.messages) == 2)
    assert [m["cause"] for m in await mail_items(svc)] == [
        f"overdue:{birch['2027-01-04']}",
        f"digest:{bob}:2027-W01",
    ]
    assert [str(m["To"]) for m in smtp.messages] == ["bob@msp.example", "bob@msp.example"]


async def test_a_line_break_in_a_client_or_activity_name_is_neutralised_in_the_subject(
    mailing: Scheduler, smtp: SmtpRecorder
) -> None:
    svc = mailing
    data = await svc.activate(
        activities=[activity("Ticket\r\nreview", role="vcio")],
        client_name="Acme\r\nBcc: all@evil.example",
    )
    val = await staff(svc, "Val", "val@msp.example", ["vcio"])
    await assign(svc, (await by_due(svc, data["agreement_id"]))["2027-01-04"], val)
    svc.clock.set(dt.datetime(2027, 1, 6, 12, tzinfo=dt.UTC))
    assert await svc.runtime.run_sweep(OVERDUE_SWEEP) == 1
    await eventually(lambda: len(smtp.messages) == 1)
    [msg] = smtp.messages
    assert (
        str(msg["Subject"]).strip() == "Overdue: Ticket review for Acme Bcc: all@evil.example, due Mon 4 January 2027"
    )
    assert (msg["Bcc"], smtp.envelopes[0][1]) == (None, ["val@msp.example"])
