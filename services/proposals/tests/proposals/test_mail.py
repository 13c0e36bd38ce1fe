"""The proposal's mail against a real SMTP server: on send, on acceptance, the reminder before validity ends.

The app runs without background work: each test drives the sender (`runtime.mail.send_due()`) and the reminder
sweep itself, on the FixedClock."""

import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from proposals.main import REMINDERS, build_app
from services.proposals.tests.support import (
    PROFILE,
    SIGNER,
    create_client,
    create_proposal,
    ensure_catalog_stream,
    package_event,
    path_of,
    seed,
    sent_proposal,
)
from vcio_shared.clock import FixedClock
from vcio_shared.mail import Report
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.settings import Settings, load_settings
from vcio_shared.testing import TEST_SECRET, auth

MAIL_FROM = "Proposals <proposals@vcio.example>"
CLIENT_TO = "Acme Dental <office@acme-dental.example>"
SIGNER_TO = '"Dr. Ada Smith" <ada@acme-dental.example>'
TOTALS = "Monthly:        1,500.00 USD\nOne-time:       500.00 USD\nContract value: 18,500.00 USD\n"


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    server = SmtpRecorder().__enter__()
    yield server
    if server.controller._thread is not None:  # one test stops it (the server down)
        server.__exit__()


@pytest.fixture
async def settings(proposals_database: str, nats_url: str, smtp: SmtpRecorder) -> Settings:
    await ensure_catalog_stream(nats_url)
    return load_settings(
        "proposals",
        database_url=proposals_database,
        nats_url=nats_url,
        jwt_secret=TEST_SECRET,
        public_base_url="http://testserver",
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        mail_from=MAIL_FROM,
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> FastAPI:
    return build_app(settings, clock=clock, run_background=False)


async def send_due(app: FastAPI) -> Report:
    report: Report = await app.state.runtime.mail.send_due()
    return report


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(msg: EmailMessage) -> str:
    part = msg.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def by_to(smtp: SmtpRecorder) -> dict[str, EmailMessage]:
    """The messages that arrived, by their To (the sender takes a round's messages in no set order)."""
    found = {str(m["To"]): m for m in smtp.messages}
    assert len(found) == len(smtp.messages)
    return found


def subject(msg: EmailMessage) -> str:
    """The Subject as a reader shows it. Stripped: aiosmtplib flattens with email.policy.SMTP (78 columns), not the
    message's own policy, so a 69 to 78 character subject still goes folded right after "Subject:" and arrives
    with a leading space (reported to shared's mail sender)."""
    return str(msg["Subject"]).strip()


def attachments(msg: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    return [(a.get_filename(), a.get_content_type(), a.get_content()) for a in msg.iter_attachments()]


def pdftotext(pdf: bytes) -> str:
    """What `pdftotext` reads in a PDF, white space folded."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


async def mail_list(client: httpx.AsyncClient, tenant: str = "tenant-a", **params: str) -> list[dict[str, Any]]:
    r = await client.get("/v1/mail", params=params, headers=auth(tenant))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_sending_mails_the_proposal_with_its_link_totals_validity_and_pdf(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder, proposals_database: str
) -> None:
    assert (await client.put("/v1/msp-profile", json=PROFILE, headers=auth())).status_code == 200
    p = await sent_proposal(client, app)
    [queued] = await mail_list(client)
    assert (queued["status"], queued["attempts"], queued["to"], queued["cause"], queued["client_id"]) == (
        "pending",
        0,
        [CLIENT_TO],
        f"proposal.sent:{p['id']}",
        p["client_id"],
    )

    assert await send_due(app) == Report(sent=1)
    [msg] = smtp.messages
    assert (msg["To"], msg["From"], msg["Reply-To"], msg["Subject"]) == (
        CLIENT_TO,
        "Northwind IT <proposals@vcio.example>",
        "billing@northwind.example",
        "Proposal from Northwind IT: vCIO Essentials",
    )
    assert msg["List-Unsubscribe"] is None  # a proposal is not a reminder
    assert smtp.envelopes == [("proposals@vcio.example", ["office@acme-dental.example"])]

    # Sent on 4 January 2027 in New York: valid for 30 days of the client's calendar.
    assert p["valid_until"] == "2027-02-03"
    assert text_of(msg) == (
        "Hello Acme Dental,\n\n"
        "Northwind IT proposes vCIO Essentials for 12 months, from 1 February 2027 to 31 January 2028, "
        "billed monthly.\n\n"
        f"{TOTALS}\n"
        "This proposal is valid until 3 February 2027.\n\n"
        f"Review and accept it here:\n{p['accept_url']}\n\n"
        "The proposal is attached as a PDF.\n\n"
        "-- \nNorthwind IT Services LLC\n200 W Madison St\nSuite 400\nChicago, IL 60606\n"
    )
    assert p["accept_url"].startswith("http://testserver/p/")

    html = html_of(msg)
    [link] = re.findall(r'id="accept-link" href="([^"]+)"', html)
    assert link == p["accept_url"]
    assert re.search(r'id="contract-value"><strong>18,500.00 USD</strong>', html)
    assert '<strong id="valid-until">3 February 2027</strong>' in html
    page = await client.get(path_of(link))
    assert page.status_code == 200 and "Proposal for Acme Dental" in page.text

    [(filename, content_type, pdf)] = attachments(msg)
    assert (filename, content_type) == (f"proposal-{p['id']}-v1.pdf", "application/pdf")
    pdf_text = pdftotext(pdf)
    assert "vCIO Essentials" in pdf_text and "Proposal for Acme Dental" in pdf_text
    assert "18,500.00 USD" in pdf_text and "1,500.00 USD" in pdf_text

    [sent] = await mail_list(client)
    assert (sent["status"], sent["attempts"], sent["error"]) == ("sent", 1, None)
    with psycopg.connect(proposals_database) as conn:  # announced in the transaction that recorded it
        announced = conn.execute("SELECT count(*) FROM outbox WHERE type = 'vcio.proposals.mail.sent'").fetchone()
    assert announced == (1,)
    # Sending again is refused (a sent version never changes), and mails nothing.
    again = await client.post(f"/v1/proposals/{p['id']}/send", headers=auth())
    assert again.status_code == 409
    assert await send_due(app) == Report()
    assert len(smtp.messages) == 1


async def test_a_send_retried_with_its_idempotency_key_mails_once(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder
) -> None:
    package_id = await seed(app, package_event())
    c = await create_client(client)
    p = await create_proposal(client, c["id"], package_id)
    headers = {**auth(), "Idempotency-Key": "send-1"}
    first = await client.post(f"/v1/proposals/{p['id']}/send", json={"valid_until": "2027-01-20"}, headers=headers)
    retry = await client.post(f"/v1/proposals/{p['id']}/send", json={"valid_until": "2027-01-20"}, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.headers["idempotency-replayed"] == "true"
    assert retry.json()["accept_url"] == first.json()["accept_url"]
    assert await send_due(app) == Report(sent=1)
    [msg] = smtp.messages
    assert first.json()["accept_url"] in text_of(msg)
    assert "This proposal is valid until 20 January 2027." in text_of(msg)
    assert len(await mail_list(client)) == 1


async def test_a_revised_version_sent_again_is_a_new_mail_with_its_own_link(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder
) -> None:
    v1 = await sent_proposal(client, app)
    r = await client.post(f"/v1/proposals/{v1['id']}/revise", json={"discount_percent": "10"}, headers=auth())
    assert r.status_code == 201, r.text
    v2 = (await client.post(f"/v1/proposals/{r.json()['id']}/send", headers=auth())).json()
    assert await send_due(app) == Report(sent=2)
    first, second = sorted(smtp.messages, key=subject)
    assert (subject(first), subject(second)) == (
        "Proposal from tenant-a: vCIO Essentials",
        "Proposal from tenant-a: vCIO Essentials (version 2)",
    )
    assert v1["accept_url"] in text_of(first) and v2["accept_url"] in text_of(second)
    assert v1["accept_url"] != v2["accept_url"]
    assert first["Message-ID"] != second["Message-ID"]
    assert "Contract value: 16,700.00 USD" in text_of(second)  # 10% off the recurring 18,000.00; onboarding 500.00
    assert attachments(second)[0][0] == f"proposal-{v2['id']}-v2.pdf"


async def test_acceptance_mails_the_signed_copy_to_the_signer_and_the_msp_once(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder
) -> None:
    await client.put("/v1/msp-profile", json=PROFILE, headers=auth())
    p = await sent_proposal(client, app)
    accept = f"{path_of(p['accept_url'])}/accept"
    accepted = await client.post(accept, json=SIGNER)
    assert accepted.status_code == 200, accepted.text
    retried = await client.post(accept, json=SIGNER)
    assert retried.status_code == 409
    staff = await client.post(f"/v1/proposals/{p['id']}/accept", json=SIGNER, headers=auth())
    assert staff.status_code == 409

    assert await send_due(app) == Report(sent=3)
    assert await send_due(app) == Report()
    arrived = by_to(smtp)
    assert sorted(arrived) == sorted([CLIENT_TO, SIGNER_TO, "billing@northwind.example"])
    to_signer, to_msp = arrived[SIGNER_TO], arrived["billing@northwind.example"]
    sha = accepted.json()["document_sha256"]
    assert subject(to_signer) == "Signed: vCIO Essentials from Northwind IT"
    assert subject(to_msp) == "Accepted by Acme Dental: vCIO Essentials"
    recipients = sorted(envelope[1] for envelope in smtp.envelopes)
    assert recipients == [["ada@acme-dental.example"], ["billing@northwind.example"], ["office@acme-dental.example"]]
    for msg in (to_signer, to_msp):
        text = text_of(msg)
        # Accepted at 15:00 UTC: 10:00 in New York, the client's time zone.
        assert "Signed by Dr. Ada Smith (ada@acme-dental.example) on 4 January 2027, 10:00 EST." in text
        assert f"{TOTALS}\nThe signed copy is attached as a PDF.\nDocument SHA-256: {sha}\n" in text
        assert f'<code id="document-sha256">{sha}</code>' in html_of(msg)
        [(filename, content_type, pdf)] = attachments(msg)
        assert (filename, content_type) == (f"proposal-{p['id']}-v1-signed.pdf", "application/pdf")
        pdf_text = pdftotext(pdf)
        assert "Accepted by Dr. Ada Smith" in pdf_text
        assert sha in pdf_text.replace(" ", "")  # a long hash wraps across lines
    assert text_of(to_signer).startswith("Thank you, Dr. Ada Smith.\n")
    assert text_of(to_msp).startswith("Acme Dental accepted vCIO Essentials (version 1).\n")
    causes = sorted(m["cause"] for m in await mail_list(client))
    assert causes == [
        f"proposal.accepted:{p['id']}:client",
        f"proposal.accepted:{p['id']}:msp",
        f"proposal.sent:{p['id']}",
    ]


async def test_without_an_msp_email_only_the_signer_gets_the_signed_copy(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder
) -> None:
    await client.put("/v1/msp-profile", json={**PROFILE, "email": None}, headers=auth())
    p = await sent_proposal(client, app)
    r = await client.post(f"/v1/proposals/{p['id']}/accept", json=SIGNER, headers=auth())  # recorded by staff
    assert r.status_code == 200, r.text
    assert await send_due(app) == Report(sent=2)
    assert sorted(by_to(smtp)) == [SIGNER_TO, CLIENT_TO]
    assert by_to(smtp)[SIGNER_TO]["Reply-To"] is None
    assert [m["cause"] for m in await mail_list(client)] == [
        f"proposal.accepted:{p['id']}:client",
        f"proposal.sent:{p['id']}",
    ]


async def test_one_reminder_three_days_before_validity_ends_in_the_clients_time_zone(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder, clock: FixedClock
) -> None:
    await client.put("/v1/msp-profile", json=PROFILE, headers=auth())
    package_id = await seed(app, package_event())
    c = await create_client(client)  # America/New_York
    open_one = await sent_proposal_to(client, c["id"], package_id)
    accepted = await sent_proposal_to(client, c["id"], package_id)
    assert await send_due(app) == Report(sent=2)
    runtime = app.state.runtime
    # valid_until 3 February: the reminder is due from 31 January in New York.
    clock.set(dt.datetime(2027, 1, 30, 15, 0, tzinfo=dt.UTC))  # 4 days before
    assert await runtime.run_sweep(REMINDERS) == 0
    assert (await client.post(f"{path_of(accepted['accept_url'])}/accept", json=SIGNER)).status_code == 200
    assert await send_due(app) == Report(sent=2)  # the signed copies
    clock.set(dt.datetime(2027, 1, 31, 4, 59, tzinfo=dt.UTC))  # 30 January, 23:59 in New York
    assert await runtime.run_sweep(REMINDERS) == 0
    clock.set(dt.datetime(2027, 1, 31, 5, 0, tzinfo=dt.UTC))  # 31 January, midnight in New York
    assert await runtime.run_sweep(REMINDERS) == 1
    assert await runtime.run_sweep(REMINDERS) == 0
    clock.advance(days=1)
    assert await runtime.run_sweep(REMINDERS) == 0
    assert await send_due(app) == Report(sent=1)

    reminder = smtp.messages[-1]
    assert len(smtp.messages) == 5
    assert (reminder["To"], subject(reminder), reminder["List-Unsubscribe"]) == (
        CLIENT_TO,
        "Reminder: the proposal from Northwind IT is valid until 3 February 2027",
        "<mailto:billing@northwind.example?subject=unsubscribe>",
    )
    assert text_of(reminder) == (
        "Hello Acme Dental,\n\n"
        "The proposal from Northwind IT for vCIO Essentials is valid until 3 February 2027, 3 days from now.\n\n"
        f"{TOTALS}\n"
        f"Review and accept it here:\n{open_one['accept_url']}\n\n"
        "-- \nNorthwind IT Services LLC\n200 W Madison St\nSuite 400\nChicago, IL 60606\n"
    )
    assert attachments(reminder) == []
    [item] = await mail_list(client, status="sent", limit="1")
    assert item["cause"] == f"proposal.reminder:{open_one['id']}:3"


async def test_no_reminder_for_a_proposal_sent_inside_the_reminder_window(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock
) -> None:
    package_id = await seed(app, package_event())
    c = await create_client(client)
    late = await create_proposal(client, c["id"], package_id)
    r = await client.post(f"/v1/proposals/{late['id']}/send", json={"valid_until": "2027-01-06"}, headers=auth())
    assert r.status_code == 200
    assert await app.state.runtime.run_sweep(REMINDERS) == 0  # mailed today already
    clock.advance(days=1)
    assert await app.state.runtime.run_sweep(REMINDERS) == 0
    assert [m["cause"] for m in await mail_list(client)] == [f"proposal.sent:{late['id']}"]


async def sent_proposal_to(client: httpx.AsyncClient, client_id: str, package_id: str) -> dict[str, Any]:
    p = await create_proposal(client, client_id, package_id)
    r = await client.post(f"/v1/proposals/{p['id']}/send", headers=auth())
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_line_break_in_the_clients_name_refuses_the_send_and_writes_nothing(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder, proposals_database: str
) -> None:
    bad_email = await client.post(
        "/v1/clients",
        json={"name": "Evil", "email": "a@acme.example\r\nBcc: all@evil.example", "timezone": "UTC"},
        headers=auth(),
    )
    assert bad_email.status_code == 422  # an address with a line break is refused when the client is created
    package_id = await seed(app, package_event())
    bad_name = await client.post(
        "/v1/clients",
        json={"name": "Acme Dental\r\nBcc: all@evil.example", "email": "a@acme.example", "timezone": "UTC"},
        headers=auth(),
    )
    assert bad_name.status_code == 422  # and so is a name with one
    # A client row from before names were checked: its name cannot reach a header, the send is refused.
    c = await create_client(client, name="Acme Dental")
    with psycopg.connect(proposals_database) as conn:
        conn.execute("UPDATE clients SET name = %s WHERE id = %s", ("Acme Dental\r\nBcc: all@evil.example", c["id"]))
    p = await create_proposal(client, c["id"], package_id)
    r = await client.post(f"/v1/proposals/{p['id']}/send", headers=auth())
    assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["client", "name"]
    after = (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()
    assert (after["status"], after["accept_url"], after["sent_at"]) == ("draft", None, None)
    assert await mail_list(client) == []
    with psycopg.connect(proposals_database) as conn:
        sent_events = conn.execute("SELECT count(*) FROM outbox WHERE type = 'vcio.proposals.proposal.sent'").fetchone()
        audits = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'proposal.sent'").fetchone()
    assert (sent_events, audits) == ((0,), (0,))
    assert await send_due(app) == Report()
    assert smtp.messages == []


async def test_a_line_break_in_the_signers_name_is_refused_and_adds_no_recipient(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder
) -> None:
    p = await sent_proposal(client, app)
    assert await send_due(app) == Report(sent=1)  # the proposal itself
    signer = {"signer_name": "Ada\r\nBcc: all@evil.example", "signer_email": "ada@acme-dental.example"}
    refused = await client.post(f"{path_of(p['accept_url'])}/accept", json=signer)
    assert refused.status_code == 422  # a signer's name with a line break is refused; nothing is accepted or mailed
    assert await send_due(app) == Report()
    signer["signer_name"] = "Ada Lovelace"
    assert (await client.post(f"{path_of(p['accept_url'])}/accept", json=signer)).status_code == 200
    assert await send_due(app) == Report(sent=1)  # the signed copy (this tenant has no MSP profile e-mail)
    signed = by_to(smtp)["Ada Lovelace <ada@acme-dental.example>"]
    assert signed["Bcc"] is None
    assert sorted(e[1] for e in smtp.envelopes) == [["ada@acme-dental.example"], ["office@acme-dental.example"]]


async def test_a_client_name_with_commas_and_markup_is_quoted_in_to_and_escaped_in_html(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder
) -> None:
    await sent_proposal(client, app, client_overrides={"name": "Acme, <Dental> & Co"})
    assert await send_due(app) == Report(sent=1)
    [msg] = smtp.messages
    assert msg["To"] == '"Acme, <Dental> & Co" <office@acme-dental.example>'
    assert smtp.envelopes[0][1] == ["office@acme-dental.example"]
    assert "<p>Hello Acme, &lt;Dental&gt; &amp; Co,</p>" in html_of(msg)
    assert text_of(msg).startswith("Hello Acme, <Dental> & Co,\n")


async def test_each_tenant_lists_only_its_own_mail(client: httpx.AsyncClient, app: FastAPI) -> None:
    a = await sent_proposal(client, app, "tenant-a")
    b = await sent_proposal(client, app, "tenant-b", client_overrides={"email": "office@beta.example"})
    assert [(m["to"], m["cause"]) for m in await mail_list(client, "tenant-a")] == [
        ([CLIENT_TO], f"proposal.sent:{a['id']}")
    ]
    assert [(m["to"], m["cause"]) for m in await mail_list(client, "tenant-b")] == [
        (["Acme Dental <office@beta.example>"], f"proposal.sent:{b['id']}")
    ]
    assert await mail_list(client, "tenant-a", client_id=b["client_id"]) == []
    assert [m["cause"] for m in await mail_list(client, "tenant-b", client_id=b["client_id"])] == [
        f"proposal.sent:{b['id']}"
    ]
    assert await mail_list(client, "tenant-c") == []
    other_scope = await client.get("/v1/mail", headers=auth("tenant-a", scopes="billing:read"))
    assert other_scope.status_code == 403


async def test_mail_queued_while_the_smtp_server_is_down_goes_when_it_is_back(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder, clock: FixedClock
) -> None:
    smtp.controller.stop()  # the server is down from now, for 30 s
    package_id = await seed(app, package_event())
    c = await create_client(client)
    sent = [await sent_proposal_to(client, c["id"], package_id) for _ in range(2)]
    assert await send_due(app) == Report(retrying=2)
    waiting = await mail_list(client)
    assert [(m["status"], m["attempts"]) for m in waiting] == [("pending", 1), ("pending", 1)]
    assert all(str(m["error"]).startswith("SMTPConnect") for m in waiting), waiting
    clock.advance(seconds=14)  # the first retry waits 15 to 30 s
    assert await send_due(app) == Report()
    clock.advance(seconds=16)
    with SmtpRecorder(smtp.port) as back:  # 30 s later, on the same port
        clock.advance(seconds=1)
        assert await send_due(app) == Report(sent=2)
        assert await send_due(app) == Report()
        assert sorted(subject(m) for m in back.messages) == ["Proposal from tenant-a: vCIO Essentials"] * 2
        assert sorted(text_of(m).count(p["accept_url"]) for m in back.messages for p in sent) == [0, 0, 1, 1]
    done = await mail_list(client)
    assert [(m["status"], m["attempts"], m["error"]) for m in done] == [("sent", 2, None), ("sent", 2, None)]


async def test_the_reminder_sweep_skips_a_version_whose_client_name_breaks_a_header_and_goes_on(
    client: httpx.AsyncClient, app: FastAPI, smtp: SmtpRecorder, clock: FixedClock, proposals_database: str
) -> None:
    package_id = await seed(app, package_event())
    c = await create_client(client)
    bad = await sent_proposal_to(client, c["id"], package_id)
    good = await sent_proposal_to(client, c["id"], package_id)
    with psycopg.connect(proposals_database) as conn:  # a version sent before names were checked at send
        conn.execute(
            "UPDATE proposals SET client_snapshot = jsonb_set(client_snapshot, '{name}', %s) WHERE id = %s",
            ('"Acme\\r\\nBcc: all@evil.example"', bad["id"]),
        )
    clock.set(dt.datetime(2027, 1, 31, 15, 0, tzinfo=dt.UTC))
    assert await app.state.runtime.run_sweep(REMINDERS) == 1
    reminders = [m for m in await mail_list(client) if m["cause"].startswith("proposal.reminder:")]
    assert [m["cause"] for m in reminders] == [f"proposal.reminder:{good['id']}:3"]
