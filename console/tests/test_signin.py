"""The one-time development sign-in link."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

import httpx

from console.tests.conftest import console_settings
from vcio_console.main import build_app
from vcio_console.signin import COOKIE, dev_link, signin_code
from vcio_shared.auth import issue_token
from vcio_shared.testing import TEST_SECRET


def code_of(link: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["code"][0]


def test_the_link_points_at_the_consoles_signin() -> None:
    link = dev_link(TEST_SECRET, "acme-msp", "http://127.0.0.1:8000/")
    assert link.startswith("http://127.0.0.1:8000/signin?code=")


async def test_a_link_signs_in_once_to_its_tenant(console: httpx.AsyncClient, practice: Any) -> None:
    code = code_of(dev_link(TEST_SECRET, practice.tenant))
    first = await console.get("/signin", params={"code": code})
    assert (first.status_code, first.headers["location"]) == (303, "/")
    page = await console.get("/clients")  # the cookie the link set
    assert page.status_code == 200 and "Contoso GmbH" in page.text and f"dev · {practice.tenant}" in page.text
    console.cookies.clear()
    again = await console.get("/signin", params={"code": code})
    assert again.status_code == 401 and "was used already" in again.text and "set-cookie" not in again.headers


async def test_expired_forged_and_api_tokens_are_not_codes(console: httpx.AsyncClient) -> None:
    expired = signin_code(TEST_SECRET, "acme-msp", ttl=dt.timedelta(seconds=-30))
    forged = signin_code("another-secret-of-at-least-32-characters!", "acme-msp")
    bearer = issue_token(TEST_SECRET, tenant_id="acme-msp")  # a services' token is signed with another key
    for code in (expired, forged, bearer, "x" * 5000):
        r = await console.get("/signin", params={"code": code})
        assert (
            r.status_code == 401
            and "not valid or has expired" in r.text
            and COOKIE not in r.headers.get("set-cookie", "")
        )


async def test_without_a_jwt_secret_there_are_no_links(platform: Any) -> None:
    settings = console_settings(
        platform, jwt_secret=None, jwt_jwks_url="https://idp.example/jwks", console_secret="c" * 32
    )
    app = build_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://console.test") as http:
        r = await http.get("/signin", params={"code": signin_code(TEST_SECRET, "acme-msp")})
    assert r.status_code == 401 and "identity provider" in r.text and "set-cookie" not in r.headers
