import asyncio
import io

import httpx
from fastapi import FastAPI
from pypdf import PdfReader

from proposals.proposals.pdf import PdfRenderer
from services.proposals.tests.support import (
    ENDS,
    PROFILE,
    SIGNER,
    create_proposal,
    path_of,
    pdf_text,
    sent_proposal,
)
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


async def test_a_second_get_of_the_same_document_is_served_from_the_cache(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    p = await sent_proposal(client, app)
    first = await client.get(f"{path_of(p['accept_url'])}/pdf")
    second = await client.get(f"{path_of(p['accept_url'])}/pdf")
    staff = await client.get(f"/v1/proposals/{p['id']}/pdf", headers=auth())  # the same document and text
    assert [r.status_code for r in (first, second, staff)] == [200, 200, 200]
    assert first.content == second.content == staff.content
    assert app.state.pdf.renders == 1
    await client.post(f"{path_of(p['accept_url'])}/accept", json=SIGNER)
    accepted = await client.get(f"{path_of(p['accept_url'])}/pdf")  # now with the acceptance banner: new text
    assert "Accepted by Dr. Ada Smith" in _text(accepted.content)
    assert app.state.pdf.renders == 2


async def test_requests_for_a_document_being_rendered_wait_for_that_render(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    p = await sent_proposal(client, app)
    link = f"{path_of(p['accept_url'])}/pdf"
    renderer = app.state.pdf
    for _ in range(renderer.concurrency):  # every slot busy, so the three requests all wait at once
        await renderer.slots.acquire()
    requests = asyncio.gather(*(client.get(link) for _ in range(3)))
    await asyncio.sleep(0.3)
    for _ in range(renderer.concurrency):
        renderer.slots.release()
    responses = await requests
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[0].content == responses[1].content == responses[2].content
    assert app.state.pdf.renders == 1


async def test_the_pdf_cache_is_bounded(client: httpx.AsyncClient, app: FastAPI) -> None:
    app.state.pdf = PdfRenderer(max_entries=2)
    links = [path_of((await sent_proposal(client, app))["accept_url"]) for _ in range(3)]
    for link in links:
        assert (await client.get(f"{link}/pdf")).status_code == 200
    entries, size = app.state.pdf.cached
    assert entries == 2 and size > 0
    await client.get(f"{links[0]}/pdf")  # the oldest was let go: rendered again
    await client.get(f"{links[2]}/pdf")  # still held
    assert app.state.pdf.renders == 4
    # Bounded in bytes too: room for one and a half of these PDFs holds one.
    app.state.pdf = PdfRenderer(max_bytes=size * 3 // 4)
    for link in links:
        assert (await client.get(f"{link}/pdf")).status_code == 200
    assert app.state.pdf.cached[0] == 1 and app.state.pdf.cached[1] <= size * 3 // 4


async def test_renders_beyond_the_cap_wait_then_get_503_with_retry_after(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    app.state.pdf = PdfRenderer(concurrency=1, wait_seconds=0.3)
    p = await sent_proposal(client, app)
    await app.state.pdf.slots.acquire()  # one render in progress, holding the only slot
    try:
        waiting = asyncio.create_task(client.get(f"{path_of(p['accept_url'])}/pdf"))
        await asyncio.sleep(0.15)
        assert app.state.runtime.engine.pool.checkedout() == 0  # a waiting request holds no database connection
        r = await waiting
        assert (r.status_code, r.headers["content-type"], r.headers["retry-after"]) == (
            503,
            "application/problem+json",
            "1",
        )
        assert r.json()["status"] == 503
    finally:
        app.state.pdf.slots.release()
    assert (await client.get(f"{path_of(p['accept_url'])}/pdf")).status_code == 200
    assert app.state.pdf.renders == 1


async def test_the_pdf_shows_renewal_terms_and_inclusive_dates(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.put("/v1/msp-profile", json=PROFILE, headers=auth())
    p = await sent_proposal(client, app, start_date="2027-01-01", auto_renew=False)
    text = pdf_text((await client.get(f"{path_of(p['accept_url'])}/pdf")).content)
    assert "from 1 January 2027 to 31 December 2027," in text
    assert "1 January 2028" not in text
    assert ENDS in text
    assert "Terms 1. Fees are due within 30 days. 2. Either party may end this agreement for cause." in text


async def test_the_preview_is_the_client_page_without_forms_and_records_no_view(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    p = await sent_proposal(client, app, optional_items=[{"activity": "NIST cybersecurity review", "amount": "250.00"}])
    r = await client.get(f"/v1/proposals/{p['id']}/preview", headers=auth())
    assert (r.status_code, r.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert r.headers["content-security-policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
    html = r.text
    assert "<h1>Proposal for Acme Dental</h1>" in html
    assert '<span id="monthly-total">1,500.00</span> USD' in html
    assert '<span id="contract-value">18,500.00</span> USD' in html
    assert "☐ Optional: Add-on: NIST cybersecurity review" in html  # shown as on the page, but not a checkbox
    assert "<form" not in html and "<script" not in html
    got = (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()
    assert (got["status"], got["viewed_at"]) == ("sent", None)  # looking at the preview is not the client's view
    draft = await create_proposal(client, p["client_id"], p["package"]["id"], start_date="2027-03-01")
    html = (await client.get(f"/v1/proposals/{draft['id']}/preview", headers=auth())).text
    assert "from 1 March 2027 to 29 February 2028" in html and "valid until" not in html  # a draft has no date yet
    theirs = await client.get(f"/v1/proposals/{p['id']}/preview", headers=auth("tenant-b"))
    assert theirs.status_code == 404
    assert (await client.get(f"/v1/proposals/{p['id']}/preview", headers=auth(scopes="x"))).status_code == 403
