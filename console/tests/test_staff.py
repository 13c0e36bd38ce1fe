"""Staff on the real platform: the scheduler's people listed with their roles and capacity, one added from the
form (once per form, whatever the double submits), the scheduler's refusal on the form. Tenant console-staff."""

from __future__ import annotations

from typing import Any

import httpx

from console.tests.conftest import signed_in
from vcio_shared.testing import auth

TENANT = "console-staff"


def _hidden(page: str, name: str) -> str:
    return page.split(f'name="{name}" value="')[1].split('"')[0]


async def _staff(platform: Any, tenant: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{platform.url('scheduler')}/v1/staff", params={"limit": 200}, headers=auth(tenant))
        assert r.status_code == 200, r.text
        return r.json()["items"]  # type: ignore[no-any-return]


async def test_a_person_added_on_the_form_is_listed_with_their_roles(platform: Any, console: httpx.AsyncClient) -> None:
    http = signed_in(console, TENANT)
    page = (await http.get("/staff")).text
    assert 'id="no-staff"' in page and '<a href="/staff" aria-current="page">Staff</a>' in page
    form = {
        "csrf_token": _hidden(page, "csrf_token"),
        "key": _hidden(page, "key"),
        "name": "Ada <i>Vance</i>",
        "email": "ada@msp.example",
        "roles": ["vcio", "account_manager"],
        "weekly_capacity_hours": "32.5",
    }
    r = await http.post("/staff", data=form)
    assert r.status_code == 303 and r.headers["location"] == "/staff"
    assert (await http.post("/staff", data=form)).status_code == 303  # a double submit: the same person
    [ada] = await _staff(platform, TENANT)
    assert (ada["name"], ada["email"], ada["roles"], ada["weekly_capacity_hours"]) == (
        "Ada <i>Vance</i>",
        "ada@msp.example",
        ["vcio", "account_manager"],
        "32.50",
    )
    listed = (await http.get("/staff")).text
    row = listed.split('<table id="staff">')[1].split("</table>")[0]
    assert (
        "<tr><td>Ada &lt;i&gt;Vance&lt;/i&gt;</td><td>ada@msp.example</td><td>vCIO, Account manager</td>"
        '<td class="num">32.50</td><td class="hide-sm">yes</td></tr>'
    ) in row


async def test_the_schedulers_refusal_is_on_the_form_and_nothing_is_added(
    platform: Any, console: httpx.AsyncClient
) -> None:
    tenant = f"{TENANT}-refused"
    http = signed_in(console, tenant)
    page = (await http.get("/staff")).text
    form = {"csrf_token": _hidden(page, "csrf_token"), "key": _hidden(page, "key"), "name": "Ben", "roles": []}
    r = await http.post("/staff", data={**form, "weekly_capacity_hours": "40"})  # no role
    assert r.status_code == 422 and 'id="form-error"' in r.text and "roles" in r.text
    r = await http.post("/staff", data={**form, "roles": ["engineer"], "weekly_capacity_hours": "-1"})
    assert r.status_code == 422 and "weekly_capacity_hours" in r.text
    assert 'name="name" value="Ben"' in r.text and 'value="engineer" checked' in r.text  # what was typed stays
    r = await http.post("/staff", data={"name": "Ben", "roles": ["engineer"], "weekly_capacity_hours": "40"})
    assert r.status_code == 403  # no CSRF token
    assert await _staff(platform, tenant) == []
