"""The integrations page on the real platform: an endpoint made with its secret shown once, a test ping delivered
to a receiver, disable and enable, retry, replay, a rotated secret, delete, and the service's refusal shown on
the form. The receiver stands in for a third party (a PSA): a small HTTP server in this process."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from console.tests.conftest import another_session, signed_in
from console.tests.practice import ok
from vcio_shared.settings import SERVICES
from vcio_shared.testing import auth, eventually


@dataclass
class Receiver:
    url: str
    events: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@contextlib.contextmanager
def receiver() -> Iterator[Receiver]:
    """An HTTP receiver on 127.0.0.1 that answers 204 and keeps what it was sent (the platform allows private
    addresses in development)."""
    got = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            got.events.append(json.loads(body))
            got.headers.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/vcio"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)[1]  # type: ignore[index]


def key(page: str, form_id: str) -> str:
    form = page.split(f'id="{form_id}"')[1]
    return re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', form)[1]  # type: ignore[index]


def secret_of(page: str) -> str:
    return re.search(r'id="secret" type="text" readonly value="(whsec_[A-Za-z0-9+/=]+)"', page)[1]  # type: ignore[index]


async def test_an_endpoint_from_creation_to_deletion(console: httpx.AsyncClient, platform: Any, hook: Receiver) -> None:
    tenant = "console-integrations"
    http = signed_in(console, tenant)
    page = (await http.get("/integrations")).text
    assert "<p>No webhook endpoints yet.</p>" in page
    form = {
        "url": hook.url,
        "description": "PSA <sync>",
        "event_types": "vcio.proposals.client.*, vcio.integrations.ping",
        "enabled": "on",
        "client_id": "",
        "idempotency_key": key(page, "endpoint-form"),
    }
    assert (await http.post("/integrations/endpoints", data=form)).status_code == 403  # no CSRF token
    form["csrf_token"] = csrf(page)
    created = await http.post("/integrations/endpoints", data=form)
    assert created.status_code == 201
    secret = secret_of(created.text)
    assert len(secret) == len("whsec_") + 44 and "shown this once" in created.text
    again = await http.post("/integrations/endpoints", data=form)  # a reload: the same endpoint, made once
    assert again.status_code == 201 and secret_of(again.text) == secret
    endpoint_url = re.search(r'<a href="(/integrations/endpoints/[0-9a-f-]{36})">Go to the endpoint</a>', created.text)[
        1
    ]  # type: ignore[index]

    listing = (await http.get("/integrations")).text
    assert "Webhook endpoints (1)</h2>" in listing and "whsec_" not in listing
    assert f'<a href="{endpoint_url}">{hook.url}</a><br><span class="muted">PSA &lt;sync&gt;</span>' in listing
    assert "vcio.proposals.client.*, vcio.integrations.ping" in listing
    page = (await http.get(endpoint_url)).text
    assert "whsec_" not in page and '<dd class="endpoint-state">enabled</dd>' in page
    assert "<p>No deliveries yet.</p>" in page

    # a test ping reaches the receiver, signed, and the log shows it delivered with its one attempt
    r = await http.post(
        f"{endpoint_url}/test", data={"csrf_token": csrf(page), "idempotency_key": key(page, "ping-form")}
    )
    assert r.status_code == 303 and r.headers["location"] == f"{endpoint_url}#deliveries-h"
    await eventually(lambda: len(hook.events) == 1, timeout=30)
    assert hook.events[0]["type"] == "vcio.integrations.ping"
    assert hook.headers[0]["webhook-signature"].startswith("v1,")

    async def log() -> str:
        return (await http.get(endpoint_url)).text

    async def delivered(count: int, attempts: int) -> bool:
        text = await log()
        return text.count('data-status="delivered"') == count and f'class="attempt-count">{attempts}<' in text

    await eventually(lambda: delivered(1, 1), timeout=30)
    page = await log()
    assert "HTTP 204 in " in page
    delivery = re.search(r'<tr data-delivery="([0-9a-f-]{36})" data-status="delivered">', page)[1]  # type: ignore[index]

    # retry: the same delivery sent again, a second attempt in its log
    r = await http.post(f"/integrations/deliveries/{delivery}/retry", data={"csrf_token": csrf(page)})
    assert r.status_code == 303 and r.headers["location"] == f"{endpoint_url}#deliveries-h"
    await eventually(lambda: delivered(1, 2), timeout=30)
    assert len(hook.events) == 2 and hook.headers[1]["webhook-id"] == hook.headers[0]["webhook-id"]

    # an event of the practice: a client added through proposals' API is delivered; a replay sends it again
    urls = {s: platform.url(s) for s in SERVICES}
    async with httpx.AsyncClient(timeout=30) as api:
        body = {"name": "Tailspin Toys", "email": "it@tailspin.example", "timezone": "UTC", "currency": "USD"}
        ok(await api.post(f"{urls['proposals']}/v1/clients", json=body, headers=auth(tenant)), 201)
    await eventually(lambda: any(e["type"] == "vcio.proposals.client.created" for e in hook.events), timeout=30)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page = await log()
    r = await http.post(
        f"{endpoint_url}/replay", data={"csrf_token": csrf(page), "since": since, "idempotency_key": "replay-1"}
    )
    assert r.status_code == 303 and r.headers["location"] == f"{endpoint_url}?replayed=1#deliveries-h"
    replayed = (await http.get(f"{endpoint_url}?replayed=1")).text
    assert '<p class="banner info" id="replayed" role="status">1 event queued again.</p>' in replayed
    await eventually(lambda: sum(e["type"] == "vcio.proposals.client.created" for e in hook.events) == 2, timeout=30)
    filtered = (await http.get(endpoint_url, params={"event_type": "vcio.proposals.client.created"})).text
    assert filtered.count("<tr data-delivery=") == 1
    # a replay since a time that is not one: the service's 422 beside the form
    r = await http.post(f"{endpoint_url}/replay", data={"csrf_token": csrf(page), "since": "yesterday"})
    assert r.status_code == 422 and '<p class="banner bad" id="replay-error" role="alert">' in r.text

    # disable, then enable
    r = await http.post(f"{endpoint_url}/enabled", data={"csrf_token": csrf(page), "enabled": "false"})
    assert r.status_code == 303
    assert '<dd class="endpoint-state">disabled</dd>' in await log()
    assert '<span class="state cancelled">disabled</span>' in (await http.get("/integrations")).text
    r = await http.post(f"{endpoint_url}/enabled", data={"csrf_token": csrf(page), "enabled": "true"})
    assert r.status_code == 303 and '<dd class="endpoint-state">enabled</dd>' in await log()

    # rotate: a new secret, shown once
    r = await http.post(f"{endpoint_url}/rotate-secret", data={"csrf_token": csrf(page)})
    assert r.status_code == 200 and "A new signing secret" in r.text
    rotated = secret_of(r.text)
    assert rotated != secret and "keeps signing every message beside this one for 24 hours" in r.text

    # delete
    r = await http.post(f"{endpoint_url}/delete", data={"csrf_token": csrf(page)})
    assert r.status_code == 303 and r.headers["location"] == "/integrations"
    assert "<p>No webhook endpoints yet.</p>" in (await http.get("/integrations")).text
    assert (await http.get(endpoint_url)).status_code == 404


async def test_a_refused_endpoint_keeps_the_form_and_another_tenant_sees_404(console: httpx.AsyncClient) -> None:
    http = signed_in(console, "console-integrations-refused")
    page = (await http.get("/integrations")).text
    form = {
        "url": "ftp://files.example/hook",
        "description": "Old FTP",
        "event_types": "vcio.billing.invoice.*",
        "csrf_token": csrf(page),
        "idempotency_key": key(page, "endpoint-form"),
    }
    r = await http.post("/integrations/endpoints", data=form)
    assert r.status_code == 422
    assert '<p class="banner bad" id="endpoint-error" role="alert">' in r.text
    assert 'value="ftp://files.example/hook" required aria-invalid="true"' in r.text
    assert 'name="event_types" type="text" value="vcio.billing.invoice.*"' in r.text
    assert 'id="ep-enabled" name="enabled" type="checkbox">' in r.text  # left unticked, as sent
    assert "<p>No webhook endpoints yet.</p>" in r.text
    made = await http.post("/integrations/endpoints", data={**form, "url": "https://psa.example/hook", "enabled": "on"})
    assert made.status_code == 201
    endpoint_url = re.search(r'<a href="(/integrations/endpoints/[0-9a-f-]{36})">', made.text)[1]  # type: ignore[index]
    async with another_session(console, "console-integrations-stranger") as other:
        assert (await other.get(endpoint_url)).status_code == 404
        token = csrf((await other.get("/integrations")).text)
        for action in ("test", "rotate-secret", "delete", "enabled"):
            assert (await other.post(f"{endpoint_url}/{action}", data={"csrf_token": token})).status_code == 404
    assert '<dd class="endpoint-state">enabled</dd>' in (await http.get(endpoint_url)).text


@pytest.mark.parametrize("path", ["/integrations", "/integrations/endpoints/01a2270e-c968-703b-963c-552b528b6b45"])
async def test_no_cookie_no_integrations_page(console: httpx.AsyncClient, path: str) -> None:
    r = await console.get(path)
    assert (r.status_code, r.headers["location"]) == (303, "/signin")
    form = await console.post("/integrations/endpoints", data={"url": "https://x.example"})
    assert form.status_code == 401


async def test_html_in_a_client_name_is_text_on_the_integrations_page(
    console: httpx.AsyncClient, practice: Any
) -> None:
    page = (await signed_in(console, practice.tenant).get("/integrations")).text
    northwind = practice.clients["northwind"]["id"]
    assert f'<option value="{northwind}">Northwind &lt;b&gt;Dental&lt;/b&gt; &amp; Co</option>' in page
    assert "<b>Dental</b>" not in page
