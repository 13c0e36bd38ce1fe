"""The frozen document: what its hash covers, and what an accepted version keeps showing (v1 and v2)."""

import hashlib
import uuid
from types import SimpleNamespace

import httpx
import psycopg
from fastapi import FastAPI

from proposals.proposals import document, repository
from services.proposals.tests.support import (
    PROFILE,
    RENEWS,
    SIGNER,
    TERMS_A,
    TERMS_B,
    document_of,
    path_of,
    pdf_text,
    sent_proposal,
)
from vcio_shared.testing import auth


async def test_the_hash_covers_auto_renew_and_the_msp_terms(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.put("/v1/msp-profile", json={**PROFILE, "terms": TERMS_A}, headers=auth())
    p = await sent_proposal(client, app, start_date="2027-01-01")
    body, doc = await document_of(client, p["id"])
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
    text = pdf_text((await client.get(f"/v1/proposals/{p['id']}/pdf", headers=auth())).content)
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
