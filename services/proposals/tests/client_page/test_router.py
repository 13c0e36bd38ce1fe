import datetime as dt
import hashlib
import re

import httpx
from fastapi import FastAPI

from services.proposals.tests.support import (
    PROFILE,
    RENEWS,
    SIGNER,
    TERMS_A,
    TERMS_B,
    await_published,
    document_of,
    path_of,
    sent_proposal,
)
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth

OPTION = [{"activity": "NIST cybersecurity review", "amount": "250.00"}]


async def _csrf(client: httpx.AsyncClient, page: str) -> str:
    r = await client.get(page)
    match = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert match, r.text[:500]
    return match.group(1)


async def test_the_page_shows_names_scope_prices_totals_and_hash(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.put("/v1/msp-profile", json={"name": "Northwind IT"}, headers=auth())
    p = await sent_proposal(client, app)
    r = await client.get(path_of(p["accept_url"]))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    for text in (
        "Northwind IT",
        "Proposal for Acme Dental",
        "4 × Quarterly business review (quarterly)",
        "12 × Monthly ticket review (monthly)",
        "1,500.00",
        "18,500.00",
        "May 2027",
    ):
        assert text in html, text
    doc = (await client.get(f"/v1/proposals/{p['id']}/document", headers=auth())).content
    assert hashlib.sha256(doc).hexdigest() in html


async def test_opening_the_link_records_viewed(client: httpx.AsyncClient, app: FastAPI, clock: FixedClock) -> None:
    p = await sent_proposal(client, app)
    clock.advance(hours=3)
    await client.get(path_of(p["accept_url"]))
    got = (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()
    assert (got["status"], got["viewed_at"]) == ("viewed", "2027-01-04T18:00:00Z")


async def test_the_page_sends_security_headers_with_a_nonce(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app, optional_items=OPTION)
    r = await client.get(path_of(p["accept_url"]))
    csp = r.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
    assert f'<script nonce="{nonce}">' in r.text
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert "samesite=strict" in r.headers["set-cookie"].lower() and "httponly" in r.headers["set-cookie"].lower()


async def test_accepting_with_json_records_signer_hash_and_address(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    r = await client.post(
        f"{path_of(p['accept_url'])}/accept", json=SIGNER, headers={"User-Agent": "ClientBrowser/1.0"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    got = (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()
    assert (got["status"], got["accepted_at"], got["signer_name"], got["signer_email"]) == (
        "accepted",
        "2027-01-04T15:00:00Z",
        "Dr. Ada Smith",
        "ada@acme-dental.example",
    )
    assert got["acceptance"] == {
        "channel": "client_page",
        "ip": "127.0.0.1",
        "user_agent": "ClientBrowser/1.0",
        "recorded_by": None,
    }
    doc = (await client.get(f"/v1/proposals/{p['id']}/document", headers=auth())).content
    assert got["document_sha256"] == hashlib.sha256(doc).hexdigest() == r.json()["document_sha256"]


async def test_accepting_twice_is_409(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    url = f"{path_of(p['accept_url'])}/accept"
    assert (await client.post(url, json=SIGNER)).status_code == 200
    second = await client.post(url, json=SIGNER)
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"


async def test_a_declined_proposal_cannot_be_accepted(client: httpx.AsyncClient, app: FastAPI, nats_url: str) -> None:
    p = await sent_proposal(client, app)
    page = path_of(p["accept_url"])
    r = await client.post(f"{page}/decline", json={"reason": "Budget moved to next year"})
    assert (r.status_code, r.json()["status"]) == (200, "declined")
    assert (await client.post(f"{page}/accept", json=SIGNER)).status_code == 409
    assert (await client.post(f"{page}/decline", json={"reason": "again"})).status_code == 409
    events = await await_published(nats_url, "vcio.proposals.proposal.declined", 1)
    assert [e["data"] for e in events] == [
        {"proposal_id": p["id"], "client_id": p["client_id"], "reason": "Budget moved to next year"}
    ]


async def test_after_valid_until_the_page_is_410_and_accepting_is_410(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock
) -> None:
    p = await sent_proposal(client, app)  # valid until 2027-02-03 in New York
    clock.set(dt.datetime(2027, 2, 4, 4, 59, tzinfo=dt.UTC))  # 23:59 on the 3rd in New York: still valid
    assert (await client.get(path_of(p["accept_url"]))).status_code == 200
    clock.set(dt.datetime(2027, 2, 4, 5, 0, tzinfo=dt.UTC))  # midnight in New York
    assert (await client.post(f"{path_of(p['accept_url'])}/accept", json=SIGNER)).status_code == 410
    page = await client.get(path_of(p["accept_url"]))
    assert page.status_code == 410
    assert "valid until 3 February 2027" in page.text
    got = (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()
    assert (got["status"], got["expired_at"]) == ("expired", "2027-02-04T05:00:00Z")


async def test_a_form_post_without_the_csrf_token_is_403(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    page = path_of(p["accept_url"])
    await client.get(page)  # the cookie is set, but the form field is missing
    r = await client.post(f"{page}/accept", data=SIGNER)
    assert r.status_code == 403
    got = (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()
    assert got["status"] == "viewed"


async def test_a_form_post_with_a_forged_matching_pair_is_403(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    page = path_of(p["accept_url"])
    client.cookies.set("vcio_csrf", "forged.0123", path=page)
    r = await client.post(f"{page}/accept", data={**SIGNER, "csrf_token": "forged.0123"})
    assert r.status_code == 403


async def test_a_form_accept_with_the_csrf_token_shows_the_confirmation(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    p = await sent_proposal(client, app, optional_items=OPTION)
    page = path_of(p["accept_url"])
    csrf = await _csrf(client, page)
    r = await client.post(f"{page}/accept", data={**SIGNER, "csrf_token": csrf, "option": "option-1"})
    assert r.status_code == 200
    assert "Accepted by Dr. Ada Smith" in r.text
    got = (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()
    assert (got["selected_options"], got["monthly_total"], got["contract_value"]) == (
        ["option-1"],
        "1750.00",
        "21500.00",
    )
    assert got["document_sha256"] in r.text


async def test_a_form_with_a_missing_name_is_shown_again_with_422(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    page = path_of(p["accept_url"])
    csrf = await _csrf(client, page)
    r = await client.post(f"{page}/accept", data={"signer_email": "ada@acme-dental.example", "csrf_token": csrf})
    assert r.status_code == 422
    assert "signer_name" in r.text


async def test_a_post_that_is_neither_json_nor_a_form_is_415(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    r = await client.post(
        f"{path_of(p['accept_url'])}/accept", content=b"signer_name=x", headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 415


async def test_ticking_an_option_changes_the_quoted_totals_and_hash(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app, optional_items=OPTION, discount_percent="10", discount_reason="Loyalty")
    url = f"{path_of(p['accept_url'])}/quote"
    without = (await client.post(url, json={"selected_options": []})).json()
    ticked = (await client.post(url, json={"selected_options": ["option-1"]})).json()
    assert (without["monthly_total"], without["contract_value"]) == ("1350.00", "16700.00")
    assert (ticked["monthly_total"], ticked["contract_value"]) == ("1575.00", "19400.00")
    assert ticked["document_sha256"] != without["document_sha256"]


async def test_without_script_the_update_button_reposts_the_page_with_new_totals(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    p = await sent_proposal(client, app, optional_items=OPTION)
    page = path_of(p["accept_url"])
    csrf = await _csrf(client, page)
    assert 'formaction="' + page + '/quote"' in (await client.get(page)).text
    r = await client.post(f"{page}/quote", data={"csrf_token": csrf, "option": "option-1"})
    assert r.status_code == 200
    assert 'value="option-1" id="opt-option-1" checked' in r.text
    assert '<span id="monthly-total">1,750.00</span>' in r.text


async def test_accepting_an_unknown_option_is_422(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    r = await client.post(f"{path_of(p['accept_url'])}/accept", json={**SIGNER, "selected_options": ["option-9"]})
    assert r.status_code == 422


async def test_an_unknown_link_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/p/" + "A" * 43)).status_code == 404
    assert (await client.get("/p/short")).status_code == 404
    assert (await client.post("/p/" + "A" * 43 + "/accept", json=SIGNER)).status_code == 404


async def test_token_endpoints_are_rate_limited_per_link_and_address(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock
) -> None:
    p = await sent_proposal(client, app)
    app.state.page_limiter.limit = 3
    page = path_of(p["accept_url"])
    assert [(await client.get(page)).status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = await client.post(f"{page}/accept", json=SIGNER)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) > 0
    clock.advance(seconds=61)
    assert (await client.get(page)).status_code == 200


async def test_a_superseded_link_says_so(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    await client.post(f"/v1/proposals/{p['id']}/revise", headers=auth())
    r = await client.get(path_of(p["accept_url"]))
    assert r.status_code == 410
    assert "replaced by a newer one" in r.text
    assert (await client.post(f"{path_of(p['accept_url'])}/accept", json=SIGNER)).status_code == 409


async def test_a_form_decline_with_the_csrf_token_is_recorded(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    page = path_of(p["accept_url"])
    csrf = await _csrf(client, page)
    r = await client.post(f"{page}/decline", data={"reason": "We chose another MSP", "csrf_token": csrf})
    assert r.status_code == 200
    assert "Your answer is recorded" in r.text
    got = (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()
    assert (got["status"], got["decline_reason"]) == ("declined", "We chose another MSP")


async def test_the_no_script_quote_form_needs_the_csrf_token(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    r = await client.post(f"{path_of(p['accept_url'])}/quote", data={"option": "option-1"})
    assert r.status_code == 403


async def test_the_page_shows_inclusive_dates_renewal_and_the_terms_frozen_when_sent(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await client.put("/v1/msp-profile", json=PROFILE, headers=auth())
    p = await sent_proposal(client, app, start_date="2027-01-01")
    # The MSP edits its terms after sending: the client still reads, and signs, the ones it was sent.
    await client.put("/v1/msp-profile", json={**PROFILE, "terms": TERMS_B}, headers=auth())
    html = (await client.get(path_of(p["accept_url"]))).text
    assert "from 1 January 2027 to 31 December 2027," in html
    assert "1 January 2028" not in html
    assert "1 January 2027 – 31 January 2027, tax 8.25%" in html  # the first invoice's period, inclusive
    assert f'<p id="renewal-terms"><strong>{RENEWS}</strong></p>' in html
    assert '<div class="terms" id="msp-terms">1. Fees are due within 30 days.\n2. Either party' in html
    assert TERMS_B not in html
    accepted = (await client.post(f"{path_of(p['accept_url'])}/accept", json=SIGNER)).json()
    body, doc = await document_of(client, p["id"])
    assert hashlib.sha256(body).hexdigest() == accepted["document_sha256"]
    assert doc["msp"]["terms"] == TERMS_A
    html = (await client.get(path_of(p["accept_url"]))).text
    assert RENEWS in html and "30 days" in html and accepted["document_sha256"] in html
