"""Add a client on the real platform: the proposals API's client, made once per form, its refusals on the form,
and nothing written without the session's CSRF token. Tenant console-client-new."""

from __future__ import annotations

from typing import Any

import httpx

from console.tests.conftest import signed_in
from vcio_shared.testing import auth

TENANT = "console-client-new"


def _form(page: str) -> dict[str, str]:
    field = lambda name: page.split(f'name="{name}" value="')[1].split('"')[0]  # noqa: E731
    return {"csrf_token": field("csrf_token"), "idempotency_key": field("idempotency_key")}


async def _clients(platform: Any, tenant: str = TENANT) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{platform.url('proposals')}/v1/clients", params={"limit": 200}, headers=auth(tenant))
        assert r.status_code == 200, r.text
        return r.json()["items"]  # type: ignore[no-any-return]


async def test_a_client_added_on_the_form_is_made_once_and_its_page_follows(
    platform: Any, console: httpx.AsyncClient
) -> None:
    http = signed_in(console, TENANT)
    page = (await http.get("/clients/new")).text
    assert '<label for="c-tz">Time zone</label>' in page and 'value="America/New_York"' in page
    body = {
        **_form(page),
        "name": "Wingtip <b>Toys</b>",
        "email": "ap@wingtip.example",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "tax_rate": "19",
        "payment_terms_days": "14",
    }
    r = await http.post("/clients/new", data=body)
    assert r.status_code == 303, r.text
    again = await http.post("/clients/new", data=body)  # a double submit: the same client
    assert again.status_code == 303 and again.headers["location"] == r.headers["location"]
    [made] = await _clients(platform)
    assert r.headers["location"] == f"/clients/{made['id']}"
    assert (made["name"], made["email"], made["timezone"], made["currency"], made["tax_rate"]) == (
        "Wingtip <b>Toys</b>",
        "ap@wingtip.example",
        "Europe/Berlin",
        "EUR",
        "19.00",
    )
    assert made["payment_terms_days"] == 14
    shown = (await http.get(r.headers["location"])).text
    assert "Wingtip &lt;b&gt;Toys&lt;/b&gt;" in shown and "Wingtip <b>Toys</b>" not in shown
    assert "Europe/Berlin" in shown


async def test_what_the_service_refuses_is_shown_on_the_form_and_nothing_is_written(
    platform: Any, console: httpx.AsyncClient
) -> None:
    tenant = f"{TENANT}-refused"
    http = signed_in(console, tenant)
    page = (await http.get("/clients/new")).text
    base = {**_form(page), "name": "Litware", "email": "ap@litware.example", "currency": "USD", "tax_rate": "0"}
    r = await http.post("/clients/new", data={**base, "timezone": "Mars/Olympus_Mons"})
    assert r.status_code == 422
    assert 'id="form-error"' in r.text and "timezone" in r.text
    assert 'value="Mars/Olympus_Mons"' in r.text and 'value="ap@litware.example"' in r.text  # what was typed stays
    r = await http.post("/clients/new", data={**base, "timezone": "UTC", "payment_terms_days": "two weeks"})
    assert r.status_code == 422 and "Payment terms: a whole number of days." in r.text
    assert await _clients(platform, tenant) == []


async def test_without_the_sessions_csrf_token_nothing_is_added(platform: Any, console: httpx.AsyncClient) -> None:
    tenant = f"{TENANT}-csrf"
    http = signed_in(console, tenant)
    body = {"name": "Proseware", "email": "ap@proseware.example", "timezone": "UTC", "currency": "USD"}
    r = await http.post("/clients/new", data=body)
    assert r.status_code == 403
    r = await http.post("/clients/new", data={**body, "csrf_token": "0" * 64})
    assert r.status_code == 403
    assert await _clients(platform, tenant) == []
