"""A service with `mail=True`: mail written with a change is sent after the commit (woken, not polled), listed by
`GET /v1/mail` per tenant, and announced as `vcio.<service>.mail.sent|failed` events on its stream."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from shared.tests import noteservice
from shared.tests.test_outbox_inbox import stream_messages
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.runtime import create_app
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, auth, eventually, running

NOTES = "/v1/notes"


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    with SmtpRecorder() as server:
        yield server


@pytest.fixture
def make_app(notes_db: str, nats_url: str) -> Callable[..., object]:
    def make(**overrides: object) -> object:
        values = {"database_url": notes_db, "nats_url": nats_url, "jwt_secret": TEST_SECRET, **overrides}
        return create_app(noteservice.SPEC_WITH_MAIL, load_settings("catalog", **values))

    return make


@pytest.fixture
async def notes(make_app: Callable[..., object], smtp: SmtpRecorder) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(smtp_url=f"smtp://127.0.0.1:{smtp.port}", mail_from="Notes <notes@msp.example>")
    async with running(app) as client:  # type: ignore[arg-type]
        await asyncio.wait_for(app.state.runtime.bus.connected.wait(), 10)  # type: ignore[attr-defined]
        yield client


async def note(client: httpx.AsyncClient, text: str, to: str, tenant: str = "t1", tag: str | None = None) -> str:
    r = await client.post(NOTES, params={"mail_to": to}, json={"text": text, "tag": tag}, headers=auth(tenant))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_mail_goes_right_after_the_commit_and_is_listed_as_sent(
    notes: httpx.AsyncClient, smtp: SmtpRecorder, nats_url: str
) -> None:
    started = time.monotonic()
    await note(notes, "hello", "ada@client.example", tag="c1")
    await eventually(lambda: len(smtp.messages) == 1, timeout=10)
    assert time.monotonic() - started < 2.5  # woken by the commit, not the 5 s poll
    [msg] = smtp.messages
    assert (msg["Subject"], msg["To"], msg["From"]) == (
        "Note: hello",
        "ada@client.example",
        "Notes <notes@msp.example>",
    )

    async def listed() -> list[dict[str, object]]:
        r = await notes.get("/v1/mail", headers=auth("t1"))
        assert r.status_code == 200, r.text
        items: list[dict[str, object]] = r.json()["items"]
        return items if items and items[0]["status"] == "sent" else []

    [item] = await eventually(listed)
    assert (item["to"], item["subject"], item["attempts"], item["error"], item["client_id"]) == (
        ["ada@client.example"],
        "Note: hello",
        1,
        None,
        "c1",
    )
    assert item["cause"].startswith("note.created:")  # type: ignore[union-attr]

    async def announced() -> list[dict[str, object]]:
        return [m["event"] for m in await stream_messages(nats_url) if m["event"].type == "vcio.catalog.mail.sent"]

    [event] = await eventually(announced)
    assert event.data["mail_id"] == item["id"] and event.data["message_id"] == msg["Message-ID"]  # type: ignore[attr-defined]
    assert event.tenantid == "t1"  # type: ignore[attr-defined]


async def test_the_list_is_the_tenants_own_and_filters_by_client_and_status(
    notes: httpx.AsyncClient, smtp: SmtpRecorder
) -> None:
    await note(notes, "one", "a@client.example", tag="c1")
    await note(notes, "two", "b@client.example", tag="c2")
    await note(notes, "three", "c@other.example", tenant="t2", tag="c1")
    await eventually(lambda: len(smtp.messages) == 3, timeout=10)

    async def subjects(tenant: str, **params: str) -> list[str]:
        r = await notes.get("/v1/mail", params=params, headers=auth(tenant))
        assert r.status_code == 200, r.text
        return [m["subject"] for m in r.json()["items"]]

    assert await subjects("t1") == ["Note: two", "Note: one"]  # newest first
    assert await subjects("t1", client_id="c1") == ["Note: one"]
    assert await subjects("t2") == ["Note: three"]
    assert await eventually(lambda: subjects("t1", status="sent")) == ["Note: two", "Note: one"]
    assert await subjects("t1", status="failed") == []
    first = await notes.get("/v1/mail", params={"limit": 1}, headers=auth("t1"))
    then = await notes.get("/v1/mail", params={"cursor": first.json()["next_cursor"]}, headers=auth("t1"))
    assert [m["subject"] for m in then.json()["items"]] == ["Note: one"]
    bad = await notes.get("/v1/mail", params={"status": "lost"}, headers=auth("t1"))
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    other_scope = await notes.get("/v1/mail", headers=auth("t1", scopes="billing:read"))
    assert other_scope.status_code == 403


async def test_a_refused_recipient_is_failed_visible_and_announced(
    notes: httpx.AsyncClient, smtp: SmtpRecorder, nats_url: str
) -> None:
    smtp.refuse_rcpt = "550 5.1.1 no such mailbox"
    await note(notes, "bounce", "nobody@client.example")

    async def failed() -> list[dict[str, object]]:
        r = await notes.get("/v1/mail", params={"status": "failed"}, headers=auth("t1"))
        return list(r.json()["items"])

    [item] = await eventually(failed, timeout=10)
    assert item["attempts"] == 1 and "550" in str(item["error"])
    events = await eventually(
        lambda: _types(nats_url, "vcio.catalog.mail.failed"),
    )
    assert events[0].data["error"] == item["error"]  # type: ignore[attr-defined]
    assert smtp.messages == []


async def test_a_line_break_in_an_address_is_a_422_and_nothing_is_written(notes: httpx.AsyncClient) -> None:
    r = await notes.post(
        NOTES, params={"mail_to": "ada@client.example\r\nBcc: all@evil.example"}, json={"text": "x"}, headers=auth()
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert (await notes.get(NOTES, headers=auth())).json()["items"] == []
    assert (await notes.get("/v1/mail", headers=auth())).json()["items"] == []


async def test_without_an_smtp_url_mail_waits_queued(make_app: Callable[..., object]) -> None:
    app = make_app()
    async with running(app) as client:  # type: ignore[arg-type]
        assert app.state.runtime.mail is None  # type: ignore[attr-defined]
        await note(client, "later", "ada@client.example")
        [item] = (await client.get("/v1/mail", headers=auth("t1"))).json()["items"]
        assert (item["status"], item["attempts"]) == ("pending", 0)


async def _types(nats_url: str, type_: str) -> list[object]:
    return [m["event"] for m in await stream_messages(nats_url) if m["event"].type == type_]
