from typing import Any

import httpx

from vcio_shared.testing import auth

CLIENT = "0195b2d0-0000-7000-8000-0000000000c1"


def initiative(title: str, year: int | None, quarter: int | None, **budget: Any) -> dict[str, Any]:
    return {
        "client_id": CLIENT,
        "title": title,
        "category": "infrastructure",
        "priority": "high",
        "fiscal_year": year,
        "quarter": quarter,
        "budget": {"currency": "USD", **budget},
    }


async def post(client: httpx.AsyncClient, body: dict[str, Any], tenant: str = "tenant-a") -> dict[str, Any]:
    r = await client.post("/v1/initiatives", json=body, headers=auth(tenant))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def july_client(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """The worked example: fiscal years start in July, so fiscal year 2027 runs 2026-07-01 to 2027-06-30."""
    r = await client.put("/v1/settings", json={"fiscal_year_start_month": 7}, headers=auth())
    assert r.status_code == 200
    made = {}
    # A: one-time 2 x 2400.00 + 1200.00 = 6000.00; recurring 45.50 x 2 x 12 = 1092.00
    made["A"] = await post(
        client,
        initiative(
            "Firewall refresh",
            2027,
            1,
            one_time=[
                {"label": "Firewalls", "amount": "2400.00", "quantity": 2},
                {"label": "Install", "amount": "1200.00"},
            ],
            recurring=[{"label": "Support", "amount": "45.50", "frequency": "monthly", "quantity": 2}],
        ),
    )
    # B: one-time 3500.00; recurring 22.00 x 15 x 12 = 3960.00
    made["B"] = await post(
        client,
        initiative(
            "Microsoft 365 migration",
            2027,
            1,
            one_time=[{"label": "Migration", "amount": "3500.00"}],
            recurring=[{"label": "Licences", "amount": "22.00", "frequency": "monthly", "quantity": 15}],
        ),
    )
    # C: recurring 1800.00 a year
    made["C"] = await post(
        client,
        initiative(
            "Backup and recovery", 2027, 3, recurring=[{"label": "Backup", "amount": "1800.00", "frequency": "yearly"}]
        ),
    )
    # D: in fiscal year 2027 without a quarter: 750.00 one-time, in the year's sums
    made["D"] = await post(
        client, initiative("Security awareness", 2027, None, one_time=[{"label": "Kick-off", "amount": "750.00"}])
    )
    # E: no year at all: unscheduled, in no sum
    made["E"] = await post(
        client, initiative("Data warehouse", None, None, one_time=[{"label": "Build", "amount": "10000.00"}])
    )
    # F: fiscal year 2028 Q2: 5000.00 one-time; 300.00 x 12 = 3600.00
    made["F"] = await post(
        client,
        initiative(
            "ERP selection",
            2028,
            2,
            one_time=[{"label": "Selection", "amount": "5000.00"}],
            recurring=[{"label": "Hosting", "amount": "300.00", "frequency": "monthly"}],
        ),
    )
    # G: declined, off the roadmap; H: budgeted in EUR, left out of the USD sums
    made["G"] = await post(
        client, {**initiative("Declined", 2027, 1, one_time=[{"label": "x", "amount": "999.00"}]), "status": "declined"}
    )
    made["H"] = await post(
        client,
        {**initiative("Euro", 2027, 1), "budget": {"currency": "EUR", "one_time": [{"label": "x", "amount": "5.00"}]}},
    )
    return made


def sums(part: dict[str, Any]) -> tuple[str, str, str]:
    return part["one_time"], part["recurring_annual"], part["total"]


async def test_roadmap_totals_for_a_fiscal_year_starting_in_july(client: httpx.AsyncClient) -> None:
    made = await july_client(client)
    r = await client.get(f"/v1/clients/{CLIENT}/roadmap", params={"from_year": 2027, "to_year": 2028}, headers=auth())
    assert r.status_code == 200, r.text
    road = r.json()
    assert (road["currency"], road["fiscal_year_start_month"], road["other_currencies"]) == ("USD", 7, ["EUR"])
    assert [i["id"] for i in road["unscheduled"]] == [made["E"]["id"]]
    fy27, fy28 = road["years"]
    assert (fy27["fiscal_year"], fy27["start_date"], fy27["end_date"]) == (2027, "2026-07-01", "2027-07-01")
    q = fy27["quarters"]
    assert [(x["quarter"], x["start_date"], x["end_date"]) for x in q] == [
        (1, "2026-07-01", "2026-10-01"),
        (2, "2026-10-01", "2027-01-01"),
        (3, "2027-01-01", "2027-04-01"),
        (4, "2027-04-01", "2027-07-01"),
    ]
    assert [[i["id"] for i in x["initiatives"]] for x in q] == [
        [made["A"]["id"], made["B"]["id"]],
        [],
        [made["C"]["id"]],
        [],
    ]
    # Q1: 6000.00 + 3500.00 = 9500.00 one-time; 1092.00 + 3960.00 = 5052.00 recurring; 14552.00
    assert sums(q[0]) == ("9500.00", "5052.00", "14552.00")
    assert sums(q[1]) == ("0.00", "0.00", "0.00")
    assert sums(q[2]) == ("0.00", "1800.00", "1800.00")
    assert [i["id"] for i in fy27["unscheduled"]] == [made["D"]["id"]]
    # the year: 9500.00 + 750.00 = 10250.00; 5052.00 + 1800.00 = 6852.00; 17102.00
    assert sums(fy27) == ("10250.00", "6852.00", "17102.00")
    assert sums(fy28) == ("5000.00", "3600.00", "8600.00")
    assert sums(fy28["quarters"][1]) == ("5000.00", "3600.00", "8600.00")
    assert fy28["quarters"][1]["start_date"] == "2027-10-01"


async def test_moving_an_initiative_moves_its_budget(client: httpx.AsyncClient) -> None:
    made = await july_client(client)
    r = await client.patch(f"/v1/initiatives/{made['B']['id']}", json={"quarter": 2}, headers=auth())
    assert (r.status_code, r.json()["quarter"]) == (200, 2)
    road = (
        await client.get(f"/v1/clients/{CLIENT}/roadmap", params={"from_year": 2027, "to_year": 2027}, headers=auth())
    ).json()
    q = road["years"][0]["quarters"]
    assert sums(q[0]) == ("6000.00", "1092.00", "7092.00")
    assert sums(q[1]) == ("3500.00", "3960.00", "7460.00")
    r = await client.patch(
        f"/v1/initiatives/{made['B']['id']}", json={"fiscal_year": None, "quarter": None}, headers=auth()
    )
    road = (
        await client.get(f"/v1/clients/{CLIENT}/roadmap", params={"from_year": 2027, "to_year": 2027}, headers=auth())
    ).json()
    assert [i["title"] for i in road["unscheduled"]] == ["Microsoft 365 migration", "Data warehouse"]  # creation order
    assert sums(road["years"][0]) == ("6750.00", "2892.00", "9642.00")


async def test_the_default_range_is_three_years_from_the_current_fiscal_year(client: httpx.AsyncClient) -> None:
    await july_client(client)  # the test clock's today, 2026-11-29, is in fiscal year 2027 (July start)
    road = (await client.get(f"/v1/clients/{CLIENT}/roadmap", headers=auth())).json()
    assert [y["fiscal_year"] for y in road["years"]] == [2027, 2028, 2029]
    await client.put("/v1/settings", json={"fiscal_year_start_month": 1}, headers=auth())
    road = (await client.get(f"/v1/clients/{CLIENT}/roadmap", headers=auth())).json()
    assert [(y["fiscal_year"], y["start_date"]) for y in road["years"]] == [
        (2026, "2026-01-01"),
        (2027, "2027-01-01"),
        (2028, "2028-01-01"),
    ]


async def test_a_roadmap_in_another_currency_sums_only_that_currency(client: httpx.AsyncClient) -> None:
    await july_client(client)
    road = (
        await client.get(
            f"/v1/clients/{CLIENT}/roadmap",
            params={"currency": "EUR", "from_year": 2027, "to_year": 2027},
            headers=auth(),
        )
    ).json()
    assert (road["currency"], road["other_currencies"]) == ("EUR", ["USD"])
    assert sums(road["years"][0]) == ("5.00", "0.00", "5.00")


async def test_a_roadmap_of_an_unknown_or_foreign_client_is_not_found(client: httpx.AsyncClient) -> None:
    await july_client(client)
    assert (await client.get(f"/v1/clients/{CLIENT}/roadmap", headers=auth("tenant-b"))).status_code == 404
    other = "0195b2d0-0000-7000-8000-0000000000ff"
    assert (await client.get(f"/v1/clients/{other}/roadmap", headers=auth())).status_code == 404


async def test_a_bad_range_is_a_422(client: httpx.AsyncClient) -> None:
    await july_client(client)
    for params, loc in [
        ({"from_year": 2028, "to_year": 2027}, ["query", "to_year"]),
        ({"from_year": 2027, "to_year": 2040}, ["query", "to_year"]),
        ({"from_year": 1900}, ["query", "from_year"]),
        ({"currency": "XXX"}, ["query", "currency"]),
    ]:
        r = await client.get(f"/v1/clients/{CLIENT}/roadmap", params=params, headers=auth())
        assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, loc), params
