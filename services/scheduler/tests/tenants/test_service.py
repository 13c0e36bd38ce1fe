"""Tenant settings: a holiday calendar must exist."""

from scheduler_helpers import auth_headers


async def test_unknown_holiday_country_is_refused(client) -> None:
    r = await client.put("/v1/settings", json={"holiday_country": "XX"}, headers=auth_headers())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "holiday_country"]
