import ipaddress

import httpx
import pytest

from integrations.endpoints import guard
from integrations.main import build_app
from vcio_shared.settings import Settings
from vcio_shared.testing import auth, running

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
