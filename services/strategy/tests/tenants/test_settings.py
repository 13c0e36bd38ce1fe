import httpx

from vcio_shared.testing import auth


async def test_the_fiscal_year_start_is_january_until_set(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/settings", headers=auth())).json()["fiscal_year_start_month"] == 1
    r = await client.put("/v1/settings", json={"fiscal_year_start_month": 7}, headers=auth())
    assert (r.status_code, r.json()["fiscal_year_start_month"]) == (200, 7)
    assert (await client.get("/v1/settings", headers=auth())).json()["fiscal_year_start_month"] == 7
    assert (await client.get("/v1/settings", headers=auth("tenant-b"))).json()["fiscal_year_start_month"] == 1
    for bad in (0, 13, "July", 6.5, None):
        r = await client.put("/v1/settings", json={"fiscal_year_start_month": bad}, headers=auth())
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["loc"] == ["body", "fiscal_year_start_month"]
