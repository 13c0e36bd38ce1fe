"""No session, no page; forms need the session's CSRF token; one tenant never sees another's client; client
names are text on every page; the session cookie's flags."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from console.tests.conftest import another_session, console_settings, signed_in
from console.tests.practice import NORTHWIND, ok
from vcio_console.main import build_app
from vcio_console.signin import COOKIE, dev_link
from vcio_shared.auth import issue_token
from vcio_shared.testing import TEST_SECRET, auth


@pytest.mark.parametrize("path", ["/", "/clients", "/clients/01a2270e-c968-703b-963c-552b528b6b45"])
async def test_no_cookie_no_page(console: httpx.AsyncClient, path: str) -> None:
    r = await console.get(path)
    assert (r.status_code, r.headers["location"]) == (303, "/signin")
    htmx = await console.get(path, headers={"hx-request": "true", "accept": "text/html"})
    assert (htmx.status_code, htmx.headers["hx-redirect"]) == (401, "/signin")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        issue_token("another-secret-of-at-least-32-characters!", tenant_id="console-practice"),
        issue_token(TEST_SECRET, tenant_id="console-practice", ttl=__import__("datetime").timedelta(seconds=-60)),
    ],
    ids=["garbage", "forged", "expired"],
)
async def test_a_cookie_the_services_would_refuse_is_no_session(console: httpx.AsyncClient, token: str) -> None:
    console.cookies.set(COOKIE, token, domain="console.test")
    r = await console.get("/")
    assert (r.status_code, r.headers["location"]) == (303, "/signin")


async def test_the_proxys_bearer_token_is_a_session(console: httpx.AsyncClient, practice: Any) -> None:
    token = issue_token(TEST_SECRET, tenant_id=practice.tenant)
    for header in ({"authorization": f"Bearer {token}"}, {"x-forwarded-access-token": token}):
        r = await console.get("/clients", headers=header)
        assert r.status_code == 200 and "Contoso GmbH" in r.text
    forged = issue_token("another-secret-of-at-least-32-characters!", tenant_id=practice.tenant)
    assert (await console.get("/clients", headers={"authorization": f"Bearer {forged}"})).status_code == 303


async def test_a_post_without_the_csrf_token_is_refused(console: httpx.AsyncClient, practice: Any) -> None:
    http = signed_in(console, practice.tenant)
    page = (await http.get("/")).text
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert csrf is not None
    assert (await http.post("/signout", data={})).status_code == 403
    assert (await http.post("/signout", data={"csrf_token": "0" * 64})).status_code == 403
    async with another_session(console, "console-other") as other:
        other_csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', (await other.get("/clients")).text)
    assert other_csrf is not None and other_csrf.group(1) != csrf.group(1)
    assert (await http.post("/signout", data={"csrf_token": other_csrf.group(1)})).status_code == 403  # not hers
    token = http.cookies[COOKIE]
    htmx = await http.post("/signout", headers={"x-csrf-token": csrf.group(1)})
    assert htmx.status_code == 303  # htmx sends the token as a header (base.html's hx-headers)
    http.cookies.set(COOKIE, token, domain="console.test")  # the same session again
    out = await http.post("/signout", data={"csrf_token": csrf.group(1)})
    assert (out.status_code, out.headers["location"]) == (303, "/signin")
    assert f'{COOKIE}=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]


async def test_another_tenants_client_is_not_found(console: httpx.AsyncClient, practice: Any, platform: Any) -> None:
    async with httpx.AsyncClient(timeout=30) as api:
        body = {"name": "Other MSP's client", "email": "a@other.example", "timezone": "UTC"}
        theirs = ok(
            await api.post(f"{platform.url('proposals')}/v1/clients", json=body, headers=auth("console-other")), 201
        )
    http = signed_in(console, practice.tenant)
    r = await http.get(f"/clients/{theirs['id']}", headers={"accept": "text/html"})
    assert r.status_code == 404 and "Other MSP" not in r.text and "there is no such page" in r.text
    mine = await http.get(f"/clients/{practice.clients['northwind']['id']}")
    assert mine.status_code == 200
    problem = await http.get("/clients/not-a-uuid")
    assert (problem.status_code, problem.headers["content-type"]) == (404, "application/problem+json")
    assert problem.json()["status"] == 404


async def test_html_in_a_client_name_is_text_on_every_page(console: httpx.AsyncClient, practice: Any) -> None:
    http = signed_in(console, practice.tenant)
    escaped = "Northwind &lt;b&gt;Dental&lt;/b&gt; &amp; Co"
    for path in ("/", "/clients", f"/clients/{practice.clients['northwind']['id']}"):
        page = (await http.get(path)).text
        assert escaped in page and NORTHWIND not in page and "<b>" not in page, path
    assert "script-src 'self'" in (await http.get("/")).headers["content-security-policy"]


async def test_the_development_cookie_is_httponly_lax_and_not_secure(console: httpx.AsyncClient) -> None:
    r = await console.get("/signin", params={"code": dev_link(TEST_SECRET, "console-practice").split("code=")[1]})
    assert (r.status_code, r.headers["location"]) == (303, "/")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))  # type: ignore[union-attr]
    assert 12 * 3600 - 5 <= max_age <= 12 * 3600  # never longer than the token it holds


async def test_outside_development_the_cookie_is_secure(platform: Any) -> None:
    app = build_app(console_settings(platform, development=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://console.test") as http:
        r = await http.get("/signin", params={"code": dev_link(TEST_SECRET, "console-practice").split("code=")[1]})
    cookie = r.headers["set-cookie"]
    assert r.status_code == 303 and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
