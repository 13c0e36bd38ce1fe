"""The whole journey over HTTP only, on the real processes: catalog → proposal → client page → agreement →
delivery plan → completed activity → billing run → invoice showing the value delivered → payment → MRR."""

import datetime as dt
from typing import Any

import httpx
from dateutil.relativedelta import relativedelta

from vcio_shared.testing import auth, eventually

A = auth("journey-msp")
PACKAGE = {
    "name": "vCIO Growth",
    "tier": "growth",
    "description": "Strategy, reviews and check-ins.",
    "currency": "USD",
    "monthly_price": "2000.00",
    "billing_cycle": "monthly",
    "term_months": 12,
    "onboarding_fee": "750.00",
    "activities": [
        {
            "name": "IT strategy and roadmap",
            "category": "it_strategy",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=YEARLY",
            "role": "vcio",
            "effort_hours": "16",
        },
        {
            "name": "Quarterly business review",
            "category": "account_management",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=MONTHLY;INTERVAL=3",
            "role": "account_manager",
            "effort_hours": "3",
        },
        {
            "name": "Monthly check-in",
            "category": "account_management",
            "track": "business",
            "billing_mode": "included",
            "cadence": "FREQ=MONTHLY",
            "role": "vcio",
            "effort_hours": "1",
        },
    ],
}


# The services run on the real clock: start ten months ago, so the term is under way and the dates are real.
TODAY = dt.date.today()
START = TODAY.replace(day=1) - relativedelta(months=10)


def business_day(day: dt.date) -> dt.date:
    """Saturday and Sunday move to the Monday (CONTRACT.md section 4, scheduler)."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def months(n: int) -> dt.date:
    return START + relativedelta(months=n)


async def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def test_catalog_to_paid_invoice_and_mrr(platform: Any) -> None:
    catalog, proposals = platform.url("catalog"), platform.url("proposals")
    billing, scheduler = platform.url("billing"), platform.url("scheduler")
    async with httpx.AsyncClient(timeout=30) as http:
        # The starter catalog loads three published tiers; loading twice changes nothing.
        await _json(await http.post(f"{catalog}/v1/starter-catalog", headers=A), 201)
        await http.post(f"{catalog}/v1/starter-catalog", headers=A)
        published = await _json(await http.get(f"{catalog}/v1/packages", params={"status": "published"}, headers=A))
        assert sorted(p["monthly_price"] for p in published["items"]) == ["1500.00", "3000.00", "5000.00"]

        package = await _json(await http.post(f"{catalog}/v1/packages", json=PACKAGE, headers=A), 201)
        assert (package["status"], package["version"], package["contract_value"]) == ("draft", 1, "24750.00")
        await _json(await http.post(f"{catalog}/v1/packages/{package['id']}/publish", headers=A))

        # proposals learns the package from vcio.catalog.package.published
        async def package_known() -> bool:
            r = await http.get(f"{proposals}/v1/catalog/packages/{package['id']}", headers=A)
            return r.status_code == 200

        await eventually(package_known, timeout=30)

        client = await _json(
            await http.post(
                f"{proposals}/v1/clients",
                headers=A,
                json={"name": "Northwind Dental", "email": "office@northwind.example", "timezone": "America/Chicago"},
            ),
            201,
        )
        proposal = await _json(
            await http.post(
                f"{proposals}/v1/proposals",
                headers=A,
                json={"client_id": client["id"], "package_id": package["id"], "start_date": START.isoformat()},
            ),
            201,
        )
        assert (
            proposal["monthly_total"],
            proposal["one_time_total"],
            proposal["contract_value"],
            proposal["currency"],
        ) == ("2000.00", "750.00", "24750.00", "USD")
        assert sorted((s["name"], s["occurrences"]) for s in proposal["schedule_summary"]) == [
            ("IT strategy and roadmap", 1),
            ("Monthly check-in", 12),
            ("Quarterly business review", 4),
        ]

        sent = await _json(await http.post(f"{proposals}/v1/proposals/{proposal['id']}/send", headers=A))
        accept_url = sent["accept_url"]
        page = await http.get(accept_url)
        assert page.status_code == 200 and "Northwind Dental" in page.text and "2000.00" in page.text.replace(",", "")
        accepted = await _json(
            await http.post(
                f"{accept_url}/accept", json={"signer_name": "Dr. Ada Park", "signer_email": "ada@northwind.example"}
            )
        )
        assert accepted["status"] == "accepted"
        assert (
            await http.post(
                f"{accept_url}/accept", json={"signer_name": "Dr. Ada Park", "signer_email": "ada@northwind.example"}
            )
        ).status_code == 409
        shown = await _json(await http.get(f"{proposals}/v1/proposals/{proposal['id']}", headers=A))
        assert (shown["status"], shown["signer_name"], len(shown["document_sha256"])) == (
            "accepted",
            "Dr. Ada Park",
            64,
        )

        # billing turns the accepted proposal into exactly one agreement
        async def agreement() -> Any:
            r = await http.get(f"{billing}/v1/agreements", params={"proposal_id": proposal["id"]}, headers=A)
            items = r.json()["items"] if r.status_code == 200 else []
            return items[0] if items else None

        agr = await eventually(agreement, timeout=30)
        assert (
            agr["client_id"],
            agr["status"],
            agr["start_date"],
            agr["end_date"],
            agr["billing_cycle"],
            agr["monthly_amount"],
            agr["currency"],
            agr["term_months"],
        ) == (client["id"], "active", START.isoformat(), months(12).isoformat(), "monthly", "2000.00", "USD", 12)

        # scheduler turns the agreement into a delivery plan: 1 + 4 + 12 activities, off weekends
        async def plan() -> Any:
            r = await http.get(
                f"{scheduler}/v1/activities", params={"agreement_id": agr["id"], "limit": 200}, headers=A
            )
            items = r.json()["items"] if r.status_code == 200 else []
            return items if len(items) == 17 else None

        activities = await eventually(plan, timeout=30)
        qbrs = sorted(a["due_date"] for a in activities if a["name"] == "Quarterly business review")
        assert qbrs == [business_day(months(n)).isoformat() for n in (0, 3, 6, 9)]
        checkins = sorted(a["due_date"] for a in activities if a["name"] == "Monthly check-in")
        assert checkins == [business_day(months(n)).isoformat() for n in range(12)]
        roadmap = next(a for a in activities if a["name"] == "IT strategy and roadmap")
        await _json(
            await http.post(
                f"{scheduler}/v1/activities/{roadmap['id']}/complete",
                headers=A,
                json={
                    "outcome": "Three-year roadmap agreed with the owners",
                    "hours_spent": "14.50",
                    "completed_at": f"{START + dt.timedelta(days=11)}T16:00:00Z",
                },
            )
        )

        # billing: January in advance with the onboarding fee; February shows what was delivered in January
        run = await _json(
            await http.post(f"{billing}/v1/billing-runs", json={"as_of": START.isoformat()}, headers=A), 201
        )
        assert run["invoices_created"] == 1
        invoices = await _json(await http.get(f"{billing}/v1/invoices", params={"client_id": client["id"]}, headers=A))
        [january] = invoices["items"]
        assert (
            january["number"],
            january["status"],
            january["period_start"],
            january["period_end"],
            january["subtotal"],
            january["tax"],
            january["total"],
        ) == (
            f"INV-{january['issue_date'][:4]}-000001",
            "issued",
            START.isoformat(),
            months(1).isoformat(),
            "2750.00",
            "0.00",
            "2750.00",
        )
        assert sorted((ln["amount"], ln["period_start"]) for ln in january["lines"]) == [
            ("2000.00", START.isoformat()),
            ("750.00", None),
        ]  # a one-time fee has no period

        second = await _json(
            await http.post(f"{billing}/v1/billing-runs", json={"as_of": months(1).isoformat()}, headers=A), 201
        )
        assert second["invoices_created"] == 1
        february = [
            i
            for i in (
                await _json(await http.get(f"{billing}/v1/invoices", params={"client_id": client["id"]}, headers=A))
            )["items"]
            if i["period_start"] == months(1).isoformat()
        ][0]
        assert (february["number"], february["total"]) == (f"INV-{february['issue_date'][:4]}-000002", "2000.00")

        async def delivered_shown() -> bool:  # billing learns it from vcio.scheduler.activity.completed
            r = await http.get(f"{billing}/v1/invoices/{february['id']}", headers=A)
            return "Three-year roadmap agreed with the owners" in r.text

        await eventually(delivered_shown, timeout=30)
        html = await http.get(f"{billing}/v1/invoices/{february['id']}/html", headers=A)
        assert "IT strategy and roadmap" in html.text and "Three-year roadmap agreed with the owners" in html.text

        await _json(
            await http.post(
                f"{billing}/v1/invoices/{january['id']}/payments",
                headers=A,
                json={
                    "amount": "2750.00",
                    "paid_at": f"{START + dt.timedelta(days=9)}T15:00:00Z",
                    "reference": "ACH 4471",
                },
            ),
            201,
        )
        january_now = await _json(await http.get(f"{billing}/v1/invoices/{january['id']}", headers=A))
        assert january_now["status"] == "paid"

        mrr = await _json(
            await http.get(
                f"{billing}/v1/metrics/mrr",
                params={"as_of": (months(1) + dt.timedelta(days=14)).isoformat()},
                headers=A,
            )
        )
        assert [(r["currency"], r["mrr"], r["arr"], r["active_agreements"]) for r in mrr["items"]] == [
            ("USD", "2000.00", "24000.00", 1)
        ]


# README.md's walk, as written: a package with a yearly roadmap, a proposal starting on the 1st of the month after
# next (2027-01-01 on 2026-11-29), the roadmap completed today, before the term starts.
WALK_PACKAGE = {
    "name": "vCIO Essentials",
    "tier": "essentials",
    "currency": "USD",
    "monthly_price": "1500.00",
    "billing_cycle": "monthly",
    "term_months": 12,
    "onboarding_fee": "500.00",
    "activities": [
        {
            "name": "IT strategy and roadmap",
            "category": "it_strategy",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=YEARLY",
            "role": "vcio",
            "effort_hours": "16",
        },
        {
            "name": "Quarterly business review",
            "category": "account_management",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=MONTHLY;INTERVAL=3",
            "role": "account_manager",
            "effort_hours": "3",
        },
        {
            "name": "NIST cybersecurity review",
            "category": "cybersecurity",
            "track": "technical",
            "billing_mode": "included",
            "cadence": "FREQ=MONTHLY;INTERVAL=3",
            "role": "technical_account_manager",
            "effort_hours": "4",
        },
    ],
}


WALK_PROFILE = {
    "name": "Summit Technology Partners",
    "email": "billing@summit.example",
    "address": "400 Main Street\nSpringfield, IL 62701",
    "payment_instructions": "ACH to account 000123456, routing 071000013",
    "terms": "Invoices are due within 30 days.",
}


async def test_readme_walk_shows_work_done_early_on_the_invoice_after_its_due_month(platform: Any) -> None:
    """Work done before the term counts in the period it was due: the roadmap due on the term's first day, done
    today, is January's value, listed on the invoice for February (the one after the period it counts in)."""
    walk = auth("walk-msp")
    start = TODAY.replace(day=1) + relativedelta(months=2)
    catalog, proposals = platform.url("catalog"), platform.url("proposals")
    billing, scheduler = platform.url("billing"), platform.url("scheduler")
    async with httpx.AsyncClient(timeout=30) as http:
        await _json(await http.put(f"{proposals}/v1/msp-profile", json=WALK_PROFILE, headers=walk))
        package = await _json(await http.post(f"{catalog}/v1/packages", json=WALK_PACKAGE, headers=walk), 201)
        assert package["contract_value"] == "18500.00"
        await _json(await http.post(f"{catalog}/v1/packages/{package['id']}/publish", headers=walk))

        async def package_known() -> bool:
            r = await http.get(f"{proposals}/v1/catalog/packages/{package['id']}", headers=walk)
            return r.status_code == 200

        await eventually(package_known, timeout=30)
        client = await _json(
            await http.post(
                f"{proposals}/v1/clients",
                headers=walk,
                json={"name": "Northwind Dental", "email": "office@northwind.example", "timezone": "America/Chicago"},
            ),
            201,
        )
        proposal = await _json(
            await http.post(
                f"{proposals}/v1/proposals",
                headers=walk,
                json={"client_id": client["id"], "package_id": package["id"], "start_date": start.isoformat()},
            ),
            201,
        )
        sent = await _json(await http.post(f"{proposals}/v1/proposals/{proposal['id']}/send", headers=walk))
        await _json(
            await http.post(
                f"{sent['accept_url']}/accept",
                json={"signer_name": "Dr. Ada Park", "signer_email": "ada@northwind.example"},
            )
        )

        async def plan() -> Any:
            r = await http.get(
                f"{scheduler}/v1/activities",
                params={"client_id": client["id"], "due_to": (start + relativedelta(months=3)).isoformat()},
                headers=walk,
            )
            items = r.json()["items"] if r.status_code == 200 else []
            return items if any(a["name"] == "IT strategy and roadmap" for a in items) else None

        roadmap = next(a for a in await eventually(plan, timeout=30) if a["name"] == "IT strategy and roadmap")
        assert roadmap["due_date"] == business_day(start).isoformat()
        done = await _json(
            await http.post(
                f"{scheduler}/v1/activities/{roadmap['id']}/complete",
                headers=walk,
                json={"outcome": "Roadmap agreed with the owners", "hours_spent": "14.5"},
            )
        )
        assert done["completed_at"][:10] == dt.datetime.now(dt.UTC).date().isoformat()  # stamped today

        for as_of in (start, start + relativedelta(months=1)):
            await _json(
                await http.post(f"{billing}/v1/billing-runs", json={"as_of": as_of.isoformat()}, headers=walk), 201
            )
        invoices = (
            await _json(await http.get(f"{billing}/v1/invoices", params={"client_id": client["id"]}, headers=walk))
        )["items"]
        by_period = {i["period_start"]: i for i in invoices}
        assert sorted(by_period) == [start.isoformat(), (start + relativedelta(months=1)).isoformat()]
        first, second = by_period[start.isoformat()], by_period[(start + relativedelta(months=1)).isoformat()]
        assert (first["total"], second["total"]) == ("2000.00", "1500.00")

        async def delivered() -> Any:  # billing learns it from vcio.scheduler.activity.completed
            r = await http.get(f"{billing}/v1/invoices/{second['id']}", headers=walk)
            return r.json()["value_delivered"]["activities"] if r.status_code == 200 else None

        shown = await eventually(delivered, timeout=30)
        assert [(a["name"], a["completed_on"], a["hours_spent"], a["outcome"]) for a in shown] == [
            ("IT strategy and roadmap", done["completed_at"][:10], "14.50", "Roadmap agreed with the owners")
        ]
        page = await _json(await http.get(f"{billing}/v1/invoices/{first['id']}", headers=walk))
        assert page["value_delivered"]["activities"] == []  # December, before the term: nothing was due
        html = await http.get(f"{billing}/v1/invoices/{second['id']}/html", headers=walk)
        assert "IT strategy and roadmap" in html.text and "Roadmap agreed with the owners" in html.text
        # the invoice names the MSP (billing learns the profile from vcio.proposals.msp_profile.updated)
        for shown_text in ("Summit Technology Partners", "400 Main Street", "ACH to account 000123456", "1500.00"):
            assert shown_text in html.text
        value = await _json(
            await http.get(
                f"{billing}/v1/metrics/activity-value",
                params={"from": start.isoformat(), "to": (start + relativedelta(months=1)).isoformat()},
                headers=walk,
            )
        )
        assert [(v["billing_mode"], v["activities"], v["hours"]) for v in value["items"]] == [
            ("billable", 1, "14.50"),
            ("included", 0, "0.00"),
        ]
