"""`vcio demo` on the real platform (every service a process, as `make run` starts them): a fresh tenant gets
exactly the practice the seed designs, read back through the public APIs, and a second run makes nothing more.

The demo dates everything from its day (today, UTC), so the expected figures are those of the seed's first eight
clients: four accepted (essentials 5 months ago, growth 3, growth 4, growth 8), one each sent, viewed, declined
and draft."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import httpx
from typer.testing import CliRunner

from vcio_cli.demo import agreement_start, billing_dates
from vcio_cli.main import app
from vcio_shared.settings import SERVICES
from vcio_shared.testing import TEST_SECRET, auth

TENANT = "demo-practice"
CLIENTS = {  # the seed's first eight: name → (currency, time zone, proposal status)
    "Bluewater Architects Inc.": ("USD", "America/New_York", "accepted"),
    "Foxglove Insurance Brokers B.V.": ("EUR", "Europe/Paris", "sent"),
    "Seaview Property Management LLC": ("USD", "America/New_York", "accepted"),
    "Ironwood Insurance Brokers Ltd": ("GBP", "Europe/London", "viewed"),
    "Stonebridge Orthodontics Inc.": ("CAD", "America/Vancouver", "accepted"),
    "Foxglove Logistics LLC": ("USD", "America/Los_Angeles", "declined"),
    "Ashford Engineering Pty Ltd": ("AUD", "Australia/Melbourne", "accepted"),
    "Foxglove Veterinary Clinic Ltd": ("GBP", "Europe/London", "draft"),
}
# the accepted ones: name → (package, months before today it began, activities in the 12-month plan)
ACCEPTED = {
    "Bluewater Architects Inc.": ("vCIO Essentials", 5, 31),
    "Seaview Property Management LLC": ("vCIO Growth", 3, 62),
    "Stonebridge Orthodontics Inc.": ("vCIO Growth (CAD)", 4, 62),
    "Ashford Engineering Pty Ltd": ("vCIO Growth (AUD)", 8, 62),
}
# Past activities: essentials 7 yearly + 3 quarterly × 2 + 1 monthly × 6 = 19; growth (2 yearly, 9 quarterly,
# 2 monthly) 3 months ago 2 + 18 + 8 = 28, 4 months ago 2 + 18 + 10 = 30, 8 months ago 2 + 27 + 18 = 47: 124,
# of which the design leaves the latest 2 + 1 + 3 + 2 = 8 open (overdue) and completes 116.
ACTIVITIES, COMPLETED, OVERDUE = 31 + 3 * 62, 116, 8
LEFT_UNPAID = 1 + 2 + 1 + 1


def _items(http: httpx.Client, url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = http.get(url, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        if not (cursor := r.json()["next_cursor"]):
            return items


def practice(platform: Any) -> dict[str, Any]:
    """The tenant's practice as the APIs show it, in figures."""
    url = {s: platform.url(s) for s in SERVICES}
    with httpx.Client(headers=auth(TENANT), timeout=60) as http:
        clients = {c["id"]: c for c in _items(http, f"{url['proposals']}/v1/clients")}
        proposals = _items(http, f"{url['proposals']}/v1/proposals")
        agreements = _items(http, f"{url['billing']}/v1/agreements")
        activities = _items(http, f"{url['scheduler']}/v1/activities")
        invoices = _items(http, f"{url['billing']}/v1/invoices")
        runs = _items(http, f"{url['billing']}/v1/billing-runs")
        packages = _items(http, f"{url['catalog']}/v1/packages")
        staff = _items(http, f"{url['scheduler']}/v1/staff")
        by_proposal = {p["id"]: p for p in proposals}
        return {
            "clients": {c["name"]: (c["currency"], c["timezone"]) for c in clients.values()},
            "client count": len(clients),
            "proposals": Counter(p["status"] for p in proposals),
            "proposal of": {clients[p["client_id"]]["name"]: p["status"] for p in proposals},
            "agreements": {
                clients[a["client_id"]]["name"]: (
                    by_proposal[a["proposal_id"]]["package"]["name"],
                    a["status"],
                    a["start_date"],
                    a["currency"],
                )
                for a in agreements
            },
            "activities": len(activities),
            "activity status": Counter(a["status"] for a in activities),
            "overdue": sum(a["overdue"] for a in activities),
            "unassigned": sum(a["assignee_id"] is None for a in activities),
            "invoices": Counter(i["status"] for i in invoices),
            "api runs as of": Counter(r["as_of"] for r in runs if r["trigger"] == "api"),
            "packages": Counter(p["status"] for p in packages),
            "staff": sorted((s["name"], tuple(s["roles"])) for s in staff),
        }


def demo(platform: Any) -> str:
    env = {f"{s.upper()}_URL": platform.url(s) for s in SERVICES}
    env |= {"VCIO_JWT_SECRET": TEST_SECRET, "CONSOLE_URL": platform.url("console")}
    result = CliRunner().invoke(app, ["demo", "--tenant", TENANT, "--clients", "8"], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_loads_the_seeds_practice_through_the_apis_and_a_second_run_makes_nothing_more(platform: Any) -> None:
    today = dt.datetime.now(dt.UTC).date()
    output = demo(platform)
    assert f"The console: {platform.url('console')}" in output
    made = practice(platform)

    assert made["client count"] == 8
    assert made["clients"] == {name: (currency, zone) for name, (currency, zone, _) in CLIENTS.items()}
    assert made["proposal of"] == {name: status for name, (_, _, status) in CLIENTS.items()}
    assert made["proposals"] == Counter(accepted=4, sent=1, viewed=1, declined=1, draft=1)
    currency = {name: c for name, (c, _, _) in CLIENTS.items()}
    assert made["agreements"] == {
        name: (package, "active", agreement_start(today, months).isoformat(), currency[name])
        for name, (package, months, _) in ACCEPTED.items()
    }
    assert made["activities"] == ACTIVITIES == sum(n for _, _, n in ACCEPTED.values())
    assert made["activity status"] == Counter(completed=COMPLETED, planned=ACTIVITIES - COMPLETED)
    assert made["overdue"] == OVERDUE
    assert made["unassigned"] == 0  # the staff came first: every plan was assigned by role as it was made
    # a monthly invoice for each month from the agreement's start to this one: k + 1 of them, one more when the
    # start (a week before k months ago) fell in the month before
    invoices = sum(months + 1 for _, months, _ in ACCEPTED.values()) + (4 if today.day <= 7 else 0)
    assert made["invoices"] == Counter(paid=invoices - LEFT_UNPAID, issued=LEFT_UNPAID)
    assert made["api runs as of"] == Counter(d.isoformat() for d in billing_dates(today))
    assert made["packages"] == Counter(published=15)  # the three starter tiers, and in EUR, GBP, CAD and AUD
    assert [role for _, (role,) in made["staff"]].count("vcio") == 2
    assert len(made["staff"]) == 7

    again = demo(platform)
    assert f"tenant {TENANT} already had this demo: nothing new was made" in again
    assert practice(platform) == made
