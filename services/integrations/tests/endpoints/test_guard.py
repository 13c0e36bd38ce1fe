import ipaddress

import httpx
import pytest
from integrations_helpers import Publish, Receiver

from integrations.endpoints import guard
from integrations.main import build_app
from vcio_shared.settings import Settings
from vcio_shared.testing import auth, eventually, running

REFUSED = [
    ("http://hooks.example.com/x", "the URL must be https"),
    ("https://127.0.0.1/x", "127.0.0.1, a loopback address"),
    ("https://localhost:8443/x", "localhost resolves to"),
    ("https://10.1.2.3/x", "10.1.2.3, a private address"),
    ("https://192.168.0.10/x", "a private address"),
    ("https://169.254.169.254/latest/meta-data", "169.254.169.254, a cloud metadata address"),
    ("https://[fd00:ec2::254]/x", "fd00:ec2::254, a cloud metadata address"),
    ("https://[::1]/x", "::1, a loopback address"),
    ("https://[::ffff:127.0.0.1]/x", "a loopback address"),
    ("https://224.0.0.1/x", "a multicast address"),
    ("https://0.0.0.0/x", "an unspecified address"),
    ("https://240.0.0.1/x", "a reserved address"),
    ("https://user:pw@93.184.215.14/x", "credentials"),
]


@pytest.fixture
async def strict(settings: Settings) -> httpx.AsyncClient:
    async with running(build_app(settings.model_copy(update={"webhooks_allow_private": False}))) as c:
        yield c


@pytest.mark.parametrize(("url", "says"), REFUSED)
async def test_unsafe_urls_are_refused_with_a_422_naming_why(strict: httpx.AsyncClient, url: str, says: str) -> None:
    r = await strict.post("/v1/webhook-endpoints", json={"url": url}, headers=auth())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["loc"] == ["body", "url"]
    assert says in r.json()["errors"][0]["msg"]


async def test_a_public_address_is_accepted_and_a_patch_to_a_private_one_refused(strict: httpx.AsyncClient) -> None:
    r = await strict.post("/v1/webhook-endpoints", json={"url": "https://93.184.215.14/hook"}, headers=auth())
    assert r.status_code == 201, r.text
    patched = await strict.patch(
        f"/v1/webhook-endpoints/{r.json()['id']}", json={"url": "https://127.0.0.1/x"}, headers=auth()
    )
    assert patched.status_code == 422


async def test_allow_private_lifts_the_guard(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/webhook-endpoints", json={"url": "http://localhost:9/x"}, headers=auth())
    assert r.status_code == 201


def test_refusal_of_public_and_non_public_addresses() -> None:
    assert guard.refusal(ipaddress.ip_address("93.184.215.14")) is None
    assert guard.refusal(ipaddress.ip_address("2606:4700::1111")) is None
    assert guard.refusal(ipaddress.ip_address("100.64.0.1")) == "not a public address"  # carrier-grade NAT
    assert guard.refusal(ipaddress.ip_address("fe80::1")) == "a link-local address"


def test_pin_puts_the_checked_address_in_the_url_and_keeps_the_name_for_host_and_tls() -> None:
    v4 = guard.pin("https://hooks.example.com/vcio?x=1", ipaddress.ip_address("93.184.215.14"))
    assert (v4.url, v4.headers, v4.extensions) == (
        "https://93.184.215.14/vcio?x=1",
        {"host": "hooks.example.com"},
        {"sni_hostname": "hooks.example.com"},
    )
    v6 = guard.pin("https://hooks.example.com:8443/h", ipaddress.ip_address("2606:4700::1111"))
    assert (v6.url, v6.headers["host"]) == ("https://[2606:4700::1111]:8443/h", "hooks.example.com:8443")
    literal = guard.pin("https://93.184.215.14/h", ipaddress.ip_address("93.184.215.14"))
    assert (literal.url, literal.headers, literal.extensions) == ("https://93.184.215.14/h", {}, {})
    assert guard.pin("http://localhost:9/h", None).url == "http://localhost:9/h"


async def test_an_address_refused_at_send_time_is_a_failed_attempt_not_a_request(
    settings: Settings, streams: None, receiver: Receiver, publish: Publish
) -> None:
    async with running(build_app(settings)) as lax:  # registered while private addresses were allowed
        hook = (await lax.post("/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth())).json()
    strict_app = build_app(settings.model_copy(update={"webhooks_allow_private": False}))
    async with running(strict_app) as strict:
        await eventually(lambda: strict_app.state.runtime.bus.is_connected)
        await publish("vcio.billing.invoice.paid", {"invoice_id": "i-1"})
        path = f"/v1/webhook-endpoints/{hook['id']}/deliveries"

        async def tried() -> list:
            items = (await strict.get(path, headers=auth())).json()["items"]
            return items if items and items[0]["attempts"] else []

        [delivery] = await eventually(tried)
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"] == "refused: the URL must be https"
    assert receiver.received() == []
