"""Bad input and refusals answer a 4xx (a page for a browser, RFC 9457 problem details otherwise), never a 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from console.tests.conftest import signed_in
from vcio_console.signin import COOKIE
from vcio_shared.auth import issue_token
from vcio_shared.testing import TEST_SECRET


@pytest.mark.parametrize(
    "params",
    [{"email": "a" * 255}, {"email": "nul\x00@x.example"}, {"cursor": "not-a-cursor"}],
    ids=["too-long", "nul", "bad-cursor"],
)
async def test_a_bad_filter_is_a_422_problem(console: httpx.AsyncClient, practice: Any, params: dict[str, str]) -> None:
    r = await signed_in(console, practice.tenant).get("/clients", params=params)
    assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json")
    assert r.json()["status"] == 422


async def test_a_bad_filter_is_a_422_page_for_a_browser(console: httpx.AsyncClient, practice: Any) -> None:
    r = await signed_in(console, practice.tenant).get(
        "/clients", params={"email": "a" * 255}, headers={"accept": "text/html"}
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html") and "<h1>Not valid</h1>" in r.text


async def test_a_token_without_the_scope_a_page_needs_is_a_403(console: httpx.AsyncClient, practice: Any) -> None:
    # Every read the dashboard makes but billing's: the one refusal is billing's (the reads go out together, and
    # with two missing scopes whichever answered first was named)
    token = issue_token(TEST_SECRET, tenant_id=practice.tenant, scopes="proposals:read scheduler:read catalog:read")
    console.cookies.set(COOKIE, token, domain="console.test")
    assert (await console.get("/clients")).status_code == 200  # proposals:read is all the list needs
    r = await console.get("/", headers={"accept": "text/html"})
    assert r.status_code == 403 and "billing:read" in r.text


async def test_an_unknown_page_is_a_404(console: httpx.AsyncClient, practice: Any) -> None:
    r = await signed_in(console, practice.tenant).get("/no-such-page")
    assert (r.status_code, r.json()["status"]) == (404, 404)
