"""The MSP profile and its event; auto-renewal and the MSP's terms on the page, the PDF and in the hash; dates
shown to people are inclusive."""

import hashlib
import io
import json
import uuid
from types import SimpleNamespace

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from pypdf import PdfReader

from proposals.proposals import document, repository
from services.proposals.tests.support import (
    await_published,
    create_client,
    create_proposal,
    package_event,
    path_of,
    published,
    seed,
    sent_proposal,
)
from vcio_shared.testing import auth

SIGNER = {"signer_name": "Dr. Ada Smith", "signer_email": "ada@acme-dental.example"}
TERMS_A = "1. Fees are due within 30 days.\n2. Either party may end this agreement for cause."
TERMS_B = "1. Fees are due within 15 days."
PROFILE = {
    "name": "Northwind IT",
    "legal_name": "Northwind IT Services LLC",
    "email": "billing@northwind.example",
    "phone": "+1 312 555 0100",
    "website": "https://northwind.example",
    "address": "200 W Madison St\nSuite 400\nChicago, IL 60606",
    "tax_id": "36-1234567",
    "payment_instructions": "ACH to First Bank\nRouting 071000013\nAccount 1234567",
    "terms": TERMS_A,
}
RENEWS = (
    "This agreement renews automatically for another 12 months unless either party gives notice before "
    "31 December 2027."
)
ENDS = "This agreement ends on 31 December 2027 and does not renew automatically."


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


async def _document(client: httpx.AsyncClient, proposal_id: str) -> tuple[bytes, dict]:
    body = (await client.get(f"/v1/proposals/{proposal_id}/document", headers=auth())).content
    return body, json.loads(body)


async def test_put_msp_profile_keeps_every_field_and_announces_it_on_the_stream(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    r = await client.put("/v1/msp-profile", json=PROFILE, headers=auth())
    assert r.status_code == 200, r.text
    assert r.json() == {**PROFILE, "updated_at": "2027-01-04T15:00:00Z"}
    assert (await client.get("/v1/msp-profile", headers=auth())).json() == r.json()
    # A second PUT replaces the whole profile: what it leaves out becomes null, and it is announced too.
    r = await client.put("/v1/msp-profile", json={"name": "Northwind IT", "terms": "  \n "}, headers=auth())
    assert r.json()["terms"] is None and r.json()["address"] is None
    first, second = await await_published(nats_url, "vcio.proposals.msp_profile.updated", 2)
    assert (first["subject"], first["tenantid"]) == ("tenant-a", "tenant-a")
    assert first["data"] == {**PROFILE, "updated_at": "2027-01-04T15:00:00+00:00"}
    assert second["data"] == {
        "name": "Northwind IT",
        "legal_name": None,
        "email": None,
        "phone": None,
        "website": None,
        "address": None,
        "tax_id": None,
        "payment_instructions": None,
        "terms": None,
        "updated_at": "2027-01-04T15:00:00+00:00",
    }


async def test_msp_terms_are_bounded_in_the_api_and_in_the_database(
    client: httpx.AsyncClient, nats_url: str, proposals_database: str
) -> None:
    r = await client.put("/v1/msp-profile", json={"name": "Northwind IT", "terms": "x" * 20_001}, headers=auth())
    assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["body", "terms"]
    assert (await client.get("/v1/msp-profile", headers=auth())).json()["updated_at"] is None  # nothing written
    assert await published(nats_url, "vcio.proposals.msp_profile.updated") == []
    with psycopg.connect(proposals_database) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO msp_profiles (tenant_id, name, terms, updated_at) VALUES ('t', 'n', repeat('x', 20001), now())"
        )


async def test_auto_renew_defaults_to_true_can_be_changed_and_reaches_the_accepted_event(
    client: httpx.AsyncClient, app: FastAPI, nats_url: str
) -> None:
    package_id = await seed(app, package_event())
    c = await create_client(client)
    assert (await create_proposal(client, c["id"], package_id))["auto_renew"] is True
    p = await create_proposal(client, c["id"], package_id, auto_renew=False, start_date="2027-01-01")
    assert (p["auto_renew"], p["renewal_terms"]) == (False, ENDS)
    r = await client.patch(f"/v1/proposals/{p['id']}", json={"auto_renew": None}, headers=auth())
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "auto_renew"]
    r = await client.patch(f"/v1/proposals/{p['id']}", json={"auto_renew": True}, headers=auth())
    assert (r.json()["auto_renew"], r.json()["renewal_terms"]) == (True, RENEWS)
    r = await client.patch(f"/v1/proposals/{p['id']}", json={"auto_renew": False}, headers=auth())
    sent = (await client.post(f"/v1/proposals/{p['id']}/send", headers=auth())).json()
    assert (await client.post(f"{path_of(sent['accept_url'])}/accept", json=SIGNER)).status_code == 200
    [event] = await await_published(nats_url, "vcio.proposals.proposal.accepted", 1)
    assert event["data"]["auto_renew"] is False
    assert (event["data"]["start_date"], event["data"]["end_date"]) == ("2027-01-01", "2028-01-01")  # API: exclusive


async def test_the_hash_covers_auto_renew_and_the_msp_terms(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.put("/v1/msp-profile", json={**PROFILE, "terms": TERMS_A}, headers=auth())
    p = await sent_proposal(client, app, start_date="2027-01-01")
    body, doc = await _document(client, p["id"])
    assert doc["format"] == "vcio.proposal.v2"
    assert (doc["auto_renew"], doc["renewal_terms"], doc["msp"]) == (
        True,
        RENEWS,
        {"name": "Northwind IT", "terms": TERMS_A},
    )
    assert hashlib.sha256(body).hexdigest() == document.sha256(doc)
    # The same version with only auto_renew, or only the terms, changed hashes differently.
    async with app.state.runtime.sessionmaker() as session:
        row = await repository.get(session, "tenant-a", uuid.UUID(p["id"]))
    base = SimpleNamespace(**row._mapping)
    hashes = {
        document.sha256(document.canonical_document(SimpleNamespace(**{**vars(base), **change}), []))
        for change in ({}, {"auto_renew": False}, {"msp_terms": TERMS_B}, {"msp_terms": None})
    }
    assert len(hashes) == 4
    assert document.sha256(document.canonical_document(base, [])) == hashlib.sha256(body).hexdigest()


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
    body, doc = await _document(client, p["id"])
    assert hashlib.sha256(body).hexdigest() == accepted["document_sha256"]
    assert doc["msp"]["terms"] == TERMS_A
    html = (await client.get(path_of(p["accept_url"]))).text
    assert RENEWS in html and "30 days" in html and accepted["document_sha256"] in html


async def test_the_pdf_shows_renewal_terms_and_inclusive_dates(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.put("/v1/msp-profile", json=PROFILE, headers=auth())
    p = await sent_proposal(client, app, start_date="2027-01-01", auto_renew=False)
    text = _pdf_text((await client.get(f"{path_of(p['accept_url'])}/pdf")).content)
    assert "from 1 January 2027 to 31 December 2027," in text
    assert "1 January 2028" not in text
    assert ENDS in text
    assert "Terms 1. Fees are due within 30 days. 2. Either party may end this agreement for cause." in text


async def test_an_accepted_proposal_still_shows_exactly_what_was_hashed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """The page and PDF of an accepted version are made from the row; the row must rebuild the signed bytes."""
    await client.put("/v1/msp-profile", json=PROFILE, headers=auth())
    p = await sent_proposal(client, app, optional_items=[{"activity": "NIST cybersecurity review", "amount": "250.00"}])
    r = await client.post(f"{path_of(p['accept_url'])}/accept", json={**SIGNER, "selected_options": ["option-1"]})
    await client.put("/v1/msp-profile", json={"name": "Renamed IT", "terms": TERMS_B}, headers=auth())
    async with app.state.runtime.sessionmaker() as session:
        row = await repository.get(session, "tenant-a", uuid.UUID(p["id"]))
    assert document.canonical_bytes(document.canonical_document(row, row.selected_options)) == row.accepted_document
    assert row.document_sha256 == r.json()["document_sha256"]
    text = _pdf_text((await client.get(f"/v1/proposals/{p['id']}/pdf", headers=auth())).content)
    assert "Northwind IT" in text and "Renamed IT" not in text and "30 days" in text and "15 days" not in text


async def test_a_version_accepted_before_v2_shows_no_renewal_terms_it_was_never_shown(
    client: httpx.AsyncClient, app: FastAPI, proposals_database: str
) -> None:
    p = await sent_proposal(client, app)
    await client.post(f"{path_of(p['accept_url'])}/accept", json=SIGNER)
    with psycopg.connect(proposals_database) as conn:  # as a v1 acceptance was stored
        conn.execute(
            "UPDATE proposals SET accepted_document = convert_to(replace(convert_from(accepted_document, 'UTF8'),"
            " 'vcio.proposal.v2', 'vcio.proposal.v1'), 'UTF8')"
        )
    html = (await client.get(path_of(p["accept_url"]))).text
    assert "Accepted by Dr. Ada Smith" in html and 'id="renewal-terms"' not in html
