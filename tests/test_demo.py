"""`vcio demo` on the real platform (every service a process, as `make run` starts them): a fresh tenant gets
exactly the practice the seed designs, read back through the public APIs, and a second run makes nothing more.

The demo dates everything from its day (the UTC date its first client was created: today), so the expected
figures are those of the seed's first eight clients: four accepted (essentials 11, 9 and 10 months ago, strategic
7), one each sent, viewed, declined and draft."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import httpx
from typer.testing import CliRunner

from vcio_cli.demo_design import agreement_start, billing_dates
from vcio_cli.main import app
from vcio_shared.settings import SERVICES
from vcio_shared.testing import TEST_SECRET, auth

TENANT = "demo-practice"
CLIENTS = {  # the seed's first eight: name → (currency, time zone, proposal status)
    "Bluewater Recruitment LLC": ("USD", "America/Denver", "accepted"),
    "Cedar Freight B.V.": ("EUR", "Europe/Amsterdam", "sent"),
    "Marlow Insurance Brokers Inc.": ("USD", "America/New_York", "accepted"),
    "Silverleaf Engineering Ltd": ("GBP", "Europe/London", "viewed"),
    "Oakridge Freight Inc.": ("CAD", "America/Vancouver", "accepted"),
    "Lakeside Accounting LLC": ("USD", "America/Chicago", "declined"),
    "Ironwood Veterinary Clinic Pty Ltd": ("AUD", "Australia/Melbourne", "accepted"),
    "Foxglove Physiotherapy Ltd": ("GBP", "Europe/London", "draft"),
}
# the accepted ones: name → (package, months before today it began, activities in the 12-month plan)
ACCEPTED = {
    "Bluewater Recruitment LLC": ("vCIO Essentials", 11, 31),
    "Marlow Insurance Brokers Inc.": ("vCIO Essentials", 9, 31),
    "Oakridge Freight Inc.": ("vCIO Essentials (CAD)", 10, 31),
    "Ironwood Veterinary Clinic Pty Ltd": ("vCIO Strategic (AUD)", 7, 79),
}
# Past activities (due before today): essentials (7 yearly, 3 quarterly, 1 monthly) 11 months ago 7 + 12 + 12 = 31,
# 9 months ago 7 + 12 + 10 = 29, 10 months ago 7 + 12 + 11 = 30; strategic (3 yearly, 7 quarterly, 4 monthly)
# 7 months ago 3 + 21 + 32 = 56: 146, of which the design leaves the latest 1 + 1 + 1 + 2 = 5 open (overdue) and
# completes 141.
ACTIVITIES, COMPLETED, OVERDUE = 3 * 31 + 79, 141, 5
LEFT_UNPAID = 2 + 1 + 2 + 1


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
            "created on": {
                c["name"]: dt.datetime.fromisoformat(c["created_at"]).astimezone(dt.UTC).date()
                for c in clients.values()
            },
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
    before = dt.datetime.now(dt.UTC).date()
    output = demo(platform)
    assert f"The console: {platform.url('console')}" in output
    made = practice(platform)
    today = made["created on"]["Bluewater Recruitment LLC"]  # the demo's day
    assert before <= today <= dt.datetime.now(dt.UTC).date()

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
