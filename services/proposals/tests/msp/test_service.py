"""The MSP profile: one per tenant, kept whole, bounded, announced on the stream."""

import httpx
import psycopg
import pytest

from services.proposals.tests.support import (
    PROFILE,
    await_published,
    published,
)
from vcio_shared.testing import auth


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


async def test_msp_profile_is_per_tenant(client: httpx.AsyncClient) -> None:
    r = await client.put(
        "/v1/msp-profile",
        json={"name": "Northwind IT", "website": "https://northwind.example"},
        headers=auth("tenant-a"),
    )
    assert r.status_code == 200
    assert (await client.get("/v1/msp-profile", headers=auth("tenant-a"))).json()["name"] == "Northwind IT"
    assert (await client.get("/v1/msp-profile", headers=auth("tenant-b"))).json()["name"] == "tenant-b"
    bad = await client.put("/v1/msp-profile", json={"name": "x", "website": "javascript:alert(1)"}, headers=auth())
    assert bad.status_code == 422
