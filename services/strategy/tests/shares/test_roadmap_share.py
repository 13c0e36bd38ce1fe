import subprocess
from pathlib import Path

import httpx

from services.strategy.tests.support import CLIENT, OWNER, july_roadmap, name_client
from vcio_shared.testing import auth


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


async def test_a_shared_roadmap_shows_the_quarters_and_years_sums_and_nothing_internal(
    client: httpx.AsyncClient, nats_url: str, tmp_path: Path
) -> None:
    await name_client(client, nats_url)
    await july_roadmap(client)
    r = await client.post(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth())
    assert r.status_code == 201, r.text
    share = r.json()
    assert (share["kind"], share["target_id"]) == ("roadmap", CLIENT)
    path = httpx.URL(share["url"]).path
    assert path.startswith("/s/") and len(path) == len("/s/") + 43

    page = await client.get(path)  # no bearer token
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert "IT roadmap for Acme Dental" in html
    for figure in ("6,000.00", "1,092.00", "7,092.00", "9,500.00", "5,052.00", "14,552.00", "8,600.00", "10,000.00"):
        assert figure in html, figure
    assert "Replace the two end-of-life firewalls" in html
    assert OWNER not in html and "owner" not in html.lower() and "tenant-a" not in html
    assert "1 July 2026 – 30 June 2027" in html  # fiscal year 2027, from July

    pdf = await client.get(f"{path}/pdf")
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    text = pdf_text(pdf.content, tmp_path)
    assert "IT roadmap for Acme Dental" in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Q1 total 9,500.00 5,052.00 14,552.00 USD" in lines
    assert "Fiscal year 2027 total 9,500.00 5,052.00 14,552.00 USD" in lines
    assert "Fiscal year 2028 total 5,000.00 3,600.00 8,600.00 USD" in lines
    assert "Fiscal year 2029 total 0.00 0.00 0.00 USD" in lines


async def test_a_new_link_replaces_the_old_and_a_revoked_link_shows_nothing(client: httpx.AsyncClient) -> None:
    await july_roadmap(client)
    first = httpx.URL((await client.post(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth())).json()["url"]).path
    second = httpx.URL((await client.post(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth())).json()["url"]).path
    assert first != second
    assert (await client.get(first)).status_code == 404
    assert (await client.get(second)).status_code == 200
    assert (await client.delete(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth())).status_code == 204
    gone = await client.get(second)
    assert gone.status_code == 404 and "Link not found" in gone.text
    assert (await client.get(f"{second}/pdf")).status_code == 404
    assert (await client.delete(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth())).status_code == 404


async def test_another_tenants_client_has_no_share_and_bad_tokens_are_404(client: httpx.AsyncClient) -> None:
    await july_roadmap(client)
    assert (await client.post(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth("tenant-b"))).status_code == 404
    made = await client.post(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth())
    assert made.status_code == 201
    assert (await client.delete(f"/v1/clients/{CLIENT}/roadmap/share", headers=auth("tenant-b"))).status_code == 404
    path = httpx.URL(made.json()["url"]).path
    assert (await client.get(path)).status_code == 200  # tenant B's DELETE did not revoke it
    for token in ("x", "A" * 43, "A" * 44, "%00" * 3):
        assert (await client.get(f"/s/{token}")).status_code == 404
        assert (await client.get(f"/s/{token}/pdf")).status_code == 404
    read_only = auth(scopes="strategy:read")
    assert (await client.post(f"/v1/clients/{CLIENT}/roadmap/share", headers=read_only)).status_code == 403
    r = await client.post("/v1/clients/not-a-uuid/roadmap/share", headers=auth())
    assert r.status_code == 422
