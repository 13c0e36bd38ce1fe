import io

import httpx
from fastapi import FastAPI
from pypdf import PdfReader

from services.proposals.tests.support import path_of, sent_proposal
from vcio_shared.testing import auth


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_the_pdf_shows_client_totals_and_the_accepted_hash(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app, optional_items=[{"activity": "NIST cybersecurity review", "amount": "250.00"}])
    accepted = (
        await client.post(
            f"{path_of(p['accept_url'])}/accept",
            json={
                "signer_name": "Dr. Ada Smith",
                "signer_email": "ada@acme-dental.example",
                "selected_options": ["option-1"],
            },
        )
    ).json()
    r = await client.get(f"/v1/proposals/{p['id']}/pdf", headers=auth())
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    text = _text(r.content)
    flat = "".join(text.split())  # a long hash wraps across lines
    assert "Acme Dental" in text
    assert "1,750.00" in text and "21,500.00" in text and "500.00" in text
    assert accepted["document_sha256"] in flat
    assert "Accepted by Dr. Ada Smith" in text


async def test_the_client_can_download_the_same_pdf_from_the_link(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    r = await client.get(f"{path_of(p['accept_url'])}/pdf")
    assert r.status_code == 200
    assert "18,500.00" in _text(r.content)
