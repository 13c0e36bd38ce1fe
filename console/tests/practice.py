"""A known practice, made through the public APIs only: two staff, two clients in two currencies, their
proposals accepted on the client page, the plans, some delivered work, two billing runs and a payment.

The services run on the real clock, so dates are relative to today (UTC; the clients' time zone is UTC too)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import httpx
from dateutil.relativedelta import relativedelta

from vcio_shared.testing import auth, eventually

TODAY = dt.datetime.now(dt.UTC).date()
START = TODAY.replace(day=1) - relativedelta(months=10)  # Northwind: ten months into a 12-month term
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday())  # Contoso starts this week
NORTHWIND = "Northwind <b>Dental</b> & Co"  # HTML in a name: every page must show it as text


def activity(name: str, cadence: str, role: str, category: str = "account_management") -> dict[str, Any]:
    return {
        "name": name,
        "category": category,
        "track": "business",
        "billing_mode": "billable",
        "cadence": cadence,
        "role": role,
        "effort_hours": "2",
    }


GROWTH = {
    "name": "vCIO Growth",
    "currency": "USD",
    "monthly_price": "2000.00",
    "billing_cycle": "monthly",
    "term_months": 12,
    "onboarding_fee": "750.00",
    "activities": [
        activity("IT strategy and roadmap", "FREQ=YEARLY", "vcio", "it_strategy"),
        activity("Quarterly business review", "FREQ=MONTHLY;INTERVAL=3", "account_manager"),
        activity("Renewal planning", "FREQ=MONTHLY;INTERVAL=11", "vcio"),
    ],
}
ESSENTIALS_EUR = {
    "name": "vCIO Essentials EU",
    "currency": "EUR",
    "monthly_price": "1000.00",
    "billing_cycle": "monthly",
    "term_months": 12,
    "activities": [
        activity("Kickoff workshop", "FREQ=YEARLY", "vcio", "it_strategy"),
        activity("Security baseline", "FREQ=YEARLY", "account_manager", "cybersecurity"),
    ],
}


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


@dataclass
class Practice:
    tenant: str
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    agreements: dict[str, dict[str, Any]] = field(default_factory=dict)
    activities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


async def _package(http: httpx.AsyncClient, urls: dict[str, str], h: dict[str, str], body: dict[str, Any]) -> str:
    package = ok(await http.post(f"{urls['catalog']}/v1/packages", json=body, headers=h), 201)
    ok(await http.post(f"{urls['catalog']}/v1/packages/{package['id']}/publish", headers=h))

    async def known() -> bool:
        r = await http.get(f"{urls['proposals']}/v1/catalog/packages/{package['id']}", headers=h)
        return r.status_code == 200

    await eventually(known, timeout=30)
    return str(package["id"])


async def _accepted(
    http: httpx.AsyncClient, urls: dict[str, str], h: dict[str, str], client_id: str, package_id: str, start: dt.date
) -> dict[str, Any]:
    """A proposal sent and accepted on the client page, and the agreement billing made of it."""
    body = {"client_id": client_id, "package_id": package_id, "start_date": start.isoformat()}
    proposal = ok(await http.post(f"{urls['proposals']}/v1/proposals", json=body, headers=h), 201)
    sent = ok(await http.post(f"{urls['proposals']}/v1/proposals/{proposal['id']}/send", headers=h))
    signer = {"signer_name": "Dr. Ada Park", "signer_email": "ada@client.example"}
    ok(await http.post(f"{sent['accept_url']}/accept", json=signer))

    async def agreement() -> Any:
        r = await http.get(f"{urls['billing']}/v1/agreements", params={"proposal_id": proposal["id"]}, headers=h)
        return (r.json()["items"] or [None])[0] if r.status_code == 200 else None

    return dict(await eventually(agreement, timeout=30))


async def _plan(
    http: httpx.AsyncClient, urls: dict[str, str], h: dict[str, str], agreement_id: str, count: int
) -> list[dict[str, Any]]:
    async def plan() -> Any:
        r = await http.get(f"{urls['scheduler']}/v1/activities", params={"agreement_id": agreement_id}, headers=h)
        items = r.json()["items"] if r.status_code == 200 else []
        return items if len(items) == count else None

    return sorted(await eventually(plan, timeout=30), key=lambda a: (a["due_date"], a["name"]))


async def make_practice(urls: dict[str, str], tenant: str) -> Practice:
    """The whole known practice, step by step through the public APIs, for `tenant`."""
    h = auth(tenant)
    p = Practice(tenant)
    async with httpx.AsyncClient(timeout=60) as http:
        # Only the runs below: billing's automatic run (due after 06:00 in the tenant's zone) would otherwise bill
        # today too, and be "the last run", whenever its sweep comes round while the practice is set up.
        ok(await http.put(f"{urls['billing']}/v1/settings", json={"auto_run_enabled": False}, headers=h))
        for name, role in (("Ada Vance", "vcio"), ("Bob Reyes", "account_manager")):
            staff = {"name": name, "roles": [role], "weekly_capacity_hours": "40"}
            ok(await http.post(f"{urls['scheduler']}/v1/staff", json=staff, headers=h), 201)
        growth = await _package(http, urls, h, GROWTH)
        essentials = await _package(http, urls, h, ESSENTIALS_EUR)
        for key, name, email, currency in (
            ("northwind", NORTHWIND, "office@northwind.example", "USD"),
            ("contoso", "Contoso GmbH", "it@contoso.example", "EUR"),
        ):
            client = {"name": name, "email": email, "timezone": "UTC", "currency": currency}
            p.clients[key] = ok(await http.post(f"{urls['proposals']}/v1/clients", json=client, headers=h), 201)
        p.agreements["northwind"] = await _accepted(http, urls, h, p.clients["northwind"]["id"], growth, START)
        p.agreements["contoso"] = await _accepted(http, urls, h, p.clients["contoso"]["id"], essentials, MONDAY)
        # a second proposal for Northwind, still a draft: the client page shows both states
        draft = {"client_id": p.clients["northwind"]["id"], "package_id": growth, "start_date": TODAY.isoformat()}
        ok(await http.post(f"{urls['proposals']}/v1/proposals", json=draft, headers=h), 201)
        # Northwind: roadmap (1) + QBRs (4) + renewal planning (2); Contoso: kickoff and baseline, this Monday
        p.activities["northwind"] = await _plan(http, urls, h, p.agreements["northwind"]["id"], 7)
        p.activities["contoso"] = await _plan(http, urls, h, p.agreements["contoso"]["id"], 2)
        done = [a for a in p.activities["northwind"] if a["due_date"] == p.activities["northwind"][0]["due_date"]]
        assert sorted(a["name"] for a in done) == [
            "IT strategy and roadmap",
            "Quarterly business review",
            "Renewal planning",
        ]
        for a in done:
            body = {"outcome": f"{a['name']} delivered", "hours_spent": "2.00"}
            ok(await http.post(f"{urls['scheduler']}/v1/activities/{a['id']}/complete", json=body, headers=h))
        # two runs: the first bills Northwind's first month, the last one catches everything else up to today
        first = {"as_of": START.isoformat()}
        ok(await http.post(f"{urls['billing']}/v1/billing-runs", json=first, headers=h), 201)
        ok(await http.post(f"{urls['billing']}/v1/billing-runs", json={"as_of": TODAY.isoformat()}, headers=h), 201)
        invoices = ok(
            await http.get(
                f"{urls['billing']}/v1/invoices", params={"client_id": p.clients["northwind"]["id"]}, headers=h
            )
        )["items"]
        january = min(invoices, key=lambda i: i["period_start"])
        payment = {
            "amount": january["total"],
            "paid_at": f"{START + dt.timedelta(days=9)}T15:00:00Z",
            "reference": "ACH 4471",
        }
        ok(await http.post(f"{urls['billing']}/v1/invoices/{january['id']}/payments", json=payment, headers=h), 201)
    return p
