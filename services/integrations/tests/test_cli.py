"""`vcio webhooks list|deliveries|replay`: the CLI against the real service, a real receiver and real streams."""

import asyncio
import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import typer
from click.testing import Result
from integrations_helpers import Publish, Receiver, Service
from typer.testing import CliRunner

from vcio_cli import webhooks as webhooks_cli
from vcio_cli.client import token_for
from vcio_cli.main import app as cli_app
from vcio_shared.testing import TEST_SECRET, auth, eventually


class LoopTransport(httpx.BaseTransport):
    """The CLI's blocking client, answered by the app running in the test's event loop (the CLI runs in a
    thread, as it would in its own process)."""

    def __init__(self, http: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self.http, self.loop = http, loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return asyncio.run_coroutine_threadsafe(self._send(request), self.loop).result(30)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=request.read())
        answer = await self.http.send(forwarded)
        return httpx.Response(answer.status_code, headers=answer.headers, content=await answer.aread())


@pytest.fixture
async def cli(service: Service, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[str]]:
    """The `vcio` CLI's `client()` for the service under test; the token is the one the CLI mints itself."""
    monkeypatch.setenv("VCIO_JWT_SECRET", TEST_SECRET)
    monkeypatch.delenv("VCIO_TOKEN", raising=False)
    called: list[str] = []
    loop = asyncio.get_running_loop()

    @contextlib.contextmanager
    def client(name: str, tenant: str, timeout: float = 600.0) -> Iterator[httpx.Client]:
        called.append(name)
        headers = {"Authorization": f"Bearer {token_for(tenant)}"}
        with httpx.Client(transport=LoopTransport(service.http, loop), base_url="http://cli", headers=headers) as h:
            yield h

    monkeypatch.setattr(webhooks_cli, "client", client)
    yield called


async def vcio(*args: str) -> Result:
    """`vcio webhooks ...` in a thread, so the service keeps answering in this loop."""
    return await asyncio.to_thread(
        CliRunner().invoke, cli_app, ["webhooks", *args], env={"COLUMNS": "250"}, catch_exceptions=False
    )


def rows(output: str) -> list[list[str]]:
    """The cells of a Rich table's body rows."""
    return [[c.strip() for c in line.strip("│ ").split("│")] for line in output.splitlines() if line.startswith("│")]


async def test_list_shows_the_tenants_endpoints_and_never_a_secret(service: Service, cli: list[str]) -> None:
    first = await service.endpoint("https://psa.example.com/hooks/vcio", description="PSA")
    second = await service.endpoint("https://n8n.example.com/w", event_types=["vcio.billing.invoice.*"])
    await service.endpoint("https://other.example.com/w", tenant="tenant-b")
    r = await service.http.patch(f"/v1/webhook-endpoints/{second['id']}", json={"enabled": False}, headers=auth())
    assert r.status_code == 200, r.text

    result = await vcio("list", "--tenant", "tenant-a")
    assert result.exit_code == 0, result.output
    listed = {row[0]: row for row in rows(result.output)}
    assert set(listed) == {first["id"], second["id"]}
    assert listed[first["id"]][1:5] == ["https://psa.example.com/hooks/vcio", "(all)", "-", "yes"]
    assert listed[first["id"]][6] == "PSA"
    assert listed[second["id"]][1:5] == ["https://n8n.example.com/w", "vcio.billing.invoice.*", "-", "no"]
    assert "whsec_" not in result.output and cli == ["integrations"]


async def test_list_follows_the_cursor_across_pages(
    service: Service, cli: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = {(await service.endpoint(f"https://hooks.example.com/{n}"))["id"] for n in range(5)}
    monkeypatch.setattr(webhooks_cli, "PAGE", 2)
    result = await vcio("list", "--tenant", "tenant-a")
    assert {row[0] for row in rows(result.output)} == made
    shown = await vcio("list", "--tenant", "tenant-a", "--limit", "3")
    assert len(rows(shown.output)) == 3


async def test_deliveries_show_each_attempt_and_filter_by_status(
    service: Service, receiver: Receiver, cli: list[str]
) -> None:
    hook = await service.endpoint(receiver.url)
    receiver.control(secrets=[hook["secret"]], answers=[200, 500])
    for _ in range(2):
        r = await service.http.post(f"/v1/webhook-endpoints/{hook['id']}/test", headers=auth())
        assert r.status_code == 202, r.text
        await eventually(lambda n=_: len(receiver.received()) == n + 1)
    settled = await eventually(lambda: _settled(service, hook["id"]))
    ok = next(d for d in settled if d["status"] == "delivered")
    retrying = next(d for d in settled if d["status"] == "pending")

    result = await vcio("deliveries", hook["id"], "--tenant", "tenant-a")
    assert result.exit_code == 0, result.output
    shown = {row[0]: row for row in rows(result.output)}
    assert set(shown) == {ok["id"], retrying["id"]}
    assert shown[ok["id"]][1:6] == ["vcio.integrations.ping", ok["event_id"], "delivered", "1", "200"]
    assert shown[retrying["id"]][3:6] == ["pending", "1", "500"]
    assert shown[retrying["id"]][6] == retrying["next_attempt_at"]

    only = await vcio("deliveries", hook["id"], "--tenant", "tenant-a", "--status", "delivered")
    assert [row[0] for row in rows(only.output)] == [ok["id"]]
    none = await vcio("deliveries", hook["id"], "--tenant", "tenant-a", "--event-type", "vcio.billing.invoice.paid")
    assert rows(none.output) == []
    bad = await vcio("deliveries", hook["id"], "--tenant", "tenant-a", "--status", "lost")
    assert bad.exit_code == 2
    elsewhere = await vcio("deliveries", hook["id"], "--tenant", "tenant-b")
    assert elsewhere.exit_code == 1 and "404" in elsewhere.output


async def _settled(service: Service, endpoint_id: str) -> list[dict[str, Any]] | None:
    """The endpoint's deliveries once one is delivered and the other waits for its retry."""
    found = await service.deliveries(endpoint_id)
    return found if sorted(d["status"] for d in found) == ["delivered", "pending"] else None


async def test_replay_queues_the_endpoints_events_since_a_time(
    service: Service, receiver: Receiver, publish: Publish, cli: list[str]
) -> None:
    hook = await service.endpoint(receiver.url, event_types=["vcio.billing.*"])
    receiver.control(secrets=[hook["secret"]])
    await publish("vcio.billing.invoice.issued", {"invoice_id": "i-0"})
    await eventually(lambda: len(receiver.received()) == 1)
    await asyncio.sleep(0.05)
    since = dt.datetime.now(dt.UTC)
    await publish("vcio.billing.invoice.issued", {"invoice_id": "i-1"})
    await publish("vcio.billing.invoice.paid", {"invoice_id": "i-1"})
    await publish("vcio.billing.invoice.paid", {"invoice_id": "i-9"}, tenant="tenant-b")
    await eventually(lambda: len(receiver.received()) == 3)

    stamp = since.isoformat().replace("+00:00", "Z")
    result = await vcio("replay", hook["id"], "--since", stamp, "--tenant", "tenant-a")
    assert result.exit_code == 0, result.output
    assert re.search(rf"2 event\(s\) since \S+ queued again for endpoint {hook['id']}", result.output)
    await eventually(lambda: len(receiver.received()) == 5)
    resent = [r["headers"]["webhook-id"] for r in receiver.received()[3:]]
    assert sorted(resent) == sorted(r["headers"]["webhook-id"] for r in receiver.received()[1:3])

    wrong = await vcio("replay", hook["id"], "--since", "2027-01-31T09:00:00", "--tenant", "tenant-a")
    assert wrong.exit_code == 2 and "offset" in wrong.output


NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("2027-01-31T09:00:00+01:00", "2027-01-31T08:00:00Z"),
        ("2027-01-31T09:00:00Z", "2027-01-31T09:00:00Z"),
        ("2027-01-31", "2027-01-31T00:00:00Z"),
        ("90m", "2027-03-01T10:30:00Z"),
        ("6h", "2027-03-01T06:00:00Z"),
        ("2d", "2027-02-27T12:00:00Z"),
        ("45s", "2027-03-01T11:59:15Z"),
    ],
)
def test_since_takes_a_time_with_offset_a_date_or_an_age(given: str, sent: str) -> None:
    assert webhooks_cli.since_time(given, NOW) == sent


@pytest.mark.parametrize(
    ("given", "why"),
    [("2027-01-31T09:00:00", "offset"), ("yesterday", "use a time"), ("6w", "use a time"), ("", "use a time")],
)
def test_since_refuses_what_it_cannot_place_in_time(given: str, why: str) -> None:
    with pytest.raises(typer.BadParameter, match=why):
        webhooks_cli.since_time(given, NOW)
