"""Tenant settings: a holiday calendar must exist."""

from scheduler_helpers import auth_headers


async def test_unknown_holiday_country_is_refused(client) -> None:
    r = await client.put("/v1/settings", json={"holiday_country": "XX"}, headers=auth_headers())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "holiday_country"]


async def test_time_zone_and_mail_reply_to_default_round_trip_and_are_checked(client) -> None:
    r = await client.get("/v1/settings", headers=auth_headers())
    assert (r.json()["timezone"], r.json()["mail_reply_to"]) == ("UTC", None)
    body = {"timezone": "Europe/Berlin", "mail_reply_to": "ops@msp.example"}
    r = await client.put("/v1/settings", json=body, headers=auth_headers())
    assert r.status_code == 200, r.text
    got = (await client.get("/v1/settings", headers=auth_headers())).json()
    assert (got["timezone"], got["mail_reply_to"], got["month_end"]) == (
        "Europe/Berlin",
        "ops@msp.example",
        "skip",
    )
    for field, value in [("timezone", "Mars/Olympus"), ("mail_reply_to", "ops,all@msp.example")]:
        r = await client.put("/v1/settings", json={field: value}, headers=auth_headers())
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", field], r.text
    r = await client.put("/v1/settings", json={}, headers=auth_headers())  # PUT replaces: the defaults again
    assert (r.json()["timezone"], r.json()["mail_reply_to"]) == ("UTC", None)
