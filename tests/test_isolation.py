"""Tenant isolation, from outside: every /v1 route of every service, called with tenant B's token on tenant A's
ids, answers 404 exactly as if the id did not exist; every list shows B nothing of A; a consumer refuses an event
whose tenant does not own the rows it names."""

import asyncio
import datetime as dt
import re
import uuid
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI

from tests.conftest import v1_routes
from tests.test_faults import accepted_event, publish
from vcio_shared.events import build, encode
from vcio_shared.testing import auth, eventually

A, B = "iso-a", "iso-b"
TODAY = dt.date.today()
START = TODAY.replace(day=1)
PACKAGE = {
    "name": "Isolation",
    "currency": "USD",
    "monthly_price": "1000.00",
    "billing_cycle": "monthly",
    "term_months": 12,
    "onboarding_fee": "100.00",
    "activities": [
        {
            "name": "Monthly check-in",
            "category": "account_management",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=MONTHLY",
            "role": "vcio",
            "effort_hours": "1",
        }
    ],
}
# A valid body for every route that takes one, so that B's call can only fail on the id.
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/v1/packages/{package_id}"): PACKAGE,
    ("PATCH", "/v1/packages/{package_id}"): {"description": "changed"},
    ("POST", "/v1/packages/{package_id}/pricing"): {"rates": {"vcio": "150.00"}},
    ("PATCH", "/v1/clients/{client_id}"): {"name": "Renamed"},
    ("PATCH", "/v1/proposals/{proposal_id}"): {"discount_percent": "5"},
    ("POST", "/v1/proposals/{proposal_id}/accept"): {"signer_name": "B", "signer_email": "b@example.com"},
    ("PATCH", "/v1/agreements/{agreement_id}"): {"auto_renew": False},
    ("POST", "/v1/agreements/{agreement_id}/cancel"): {"effective_date": START.isoformat()},
    ("POST", "/v1/agreements/{agreement_id}/change"): {
        "effective_date": START.isoformat(),
        "monthly_amount": "1200.00",
    },
    ("POST", "/v1/invoices/{invoice_id}/payments"): {
        "amount": "1.00",
        "paid_at": "2026-01-02T10:00:00Z",
        "reference": "x",
    },
    ("POST", "/v1/invoices/{invoice_id}/credit-notes"): {"amount": "1.00", "reason": "goodwill"},
    ("POST", "/v1/activities/{activity_id}/schedule"): {"date": START.isoformat()},
    ("POST", "/v1/activities/{activity_id}/reschedule"): {"date": START.isoformat(), "reason": "client asked"},
    ("POST", "/v1/activities/{activity_id}/assign"): {"assignee_id": None},
    ("POST", "/v1/activities/{activity_id}/complete"): {"outcome": "done"},
    ("POST", "/v1/activities/{activity_id}/skip"): {"reason": "client asked"},
    ("POST", "/v1/activities/{activity_id}/cancel"): {"reason": "client asked"},
    ("PATCH", "/v1/staff/{staff_id}"): {"name": "Renamed"},
    ("PATCH", "/v1/webhook-endpoints/{endpoint_id}"): {"description": "changed"},
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/replay"): {"since": f"{START.isoformat()}T00:00:00Z"},
    ("PUT", "/v1/standards/{standard_id}"): {
        "name": "Isolation",
        "sections": [{"name": "Only", "questions": [{"text": "Is it isolated?", "priority": "high"}]}],
    },
    ("PUT", "/v1/assessments/{assessment_id}/responses/{question_id}"): {"answer": "yes"},
    ("PATCH", "/v1/initiatives/{initiative_id}"): {"title": "Renamed"},
    ("PATCH", "/v1/reports/{report_id}/components/{component_id}"): {"text": "B's note"},
    ("POST", "/v1/reports/{report_id}/template"): {"name": "B's layout"},
}
QUERIES: dict[str, dict[str, str]] = {
    "/v1/reports/delivery/{client_id}": {"from": START.isoformat(), "to": TODAY.isoformat()},
    "/v1/capacity": {"from": START.isoformat(), "to": TODAY.isoformat(), "period": "week"},
    "/v1/metrics/movements": {"from": START.isoformat(), "to": TODAY.isoformat()},
    "/v1/metrics/activity-value": {"from": START.isoformat(), "to": TODAY.isoformat()},
}


async def _ok(r: httpx.Response, *statuses: int) -> Any:
    assert r.status_code in (statuses or (200, 201)), f"{r.request.method} {r.request.url}: {r.text[:300]}"
    return r.json()


@pytest.fixture(scope="module")
def tenant_a(platform: Any) -> dict[str, str]:
    """Tenant A's rows in all six services, made through the public API."""
    return asyncio.run(_make_tenant_a(platform))


async def _make_tenant_a(platform: Any) -> dict[str, str]:
    h = auth(A)
    cat, pro, bil, sch = (platform.url(s) for s in ("catalog", "proposals", "billing", "scheduler"))
    ids: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        # an endpoint nobody listens on (vcio dev allows private addresses): its deliveries stay, failing
        hooks = f"{platform.url('integrations')}/v1/webhook-endpoints"
        endpoint = await _ok(await http.post(hooks, headers=h, json={"url": "http://127.0.0.1:9/vcio"}))
        ids["endpoint_id"] = endpoint["id"]
        package = await _ok(await http.post(f"{cat}/v1/packages", json=PACKAGE, headers=h))
        ids["package_id"] = package["id"]
        await _ok(await http.post(f"{cat}/v1/packages/{package['id']}/publish", headers=h))

        async def known() -> bool:
            return (await http.get(f"{pro}/v1/catalog/packages/{package['id']}", headers=h)).status_code == 200

        await eventually(known, timeout=30)
        client = await _ok(
            await http.post(
                f"{pro}/v1/clients", headers=h, json={"name": "A's client", "email": "a@example.com", "timezone": "UTC"}
            )
        )
        ids["client_id"] = client["id"]
        proposal = await _ok(
            await http.post(
                f"{pro}/v1/proposals",
                headers=h,
                json={"client_id": client["id"], "package_id": package["id"], "start_date": START.isoformat()},
            )
        )
        ids["proposal_id"] = proposal["id"]
        sent = await _ok(await http.post(f"{pro}/v1/proposals/{proposal['id']}/send", headers=h))
        await _ok(
            await http.post(f"{sent['accept_url']}/accept", json={"signer_name": "A", "signer_email": "a@example.com"})
        )

        async def agreement() -> Any:
            items = (await http.get(f"{bil}/v1/agreements", headers=h)).json()["items"]
            return items[0] if items else None

        ids["agreement_id"] = (await eventually(agreement, timeout=30))["id"]

        async def activity() -> Any:
            items = (await http.get(f"{sch}/v1/activities", headers=h)).json()["items"]
            return items[0] if items else None

        ids["activity_id"] = (await eventually(activity, timeout=30))["id"]
        run = await _ok(await http.post(f"{bil}/v1/billing-runs", json={"as_of": START.isoformat()}, headers=h))
        ids["run_id"] = run["id"]
        invoice = (await http.get(f"{bil}/v1/invoices", headers=h)).json()["items"][0]
        ids["invoice_id"] = invoice["id"]
        note = await _ok(
            await http.post(
                f"{bil}/v1/invoices/{invoice['id']}/credit-notes",
                headers=h,
                json={"amount": "10.00", "reason": "goodwill"},
            )
        )
        ids["credit_note_id"] = note.get("id") or note["credit_note"]["id"]
        staff = await _ok(
            await http.post(
                f"{sch}/v1/staff", headers=h, json={"name": "Val", "roles": ["vcio"], "weekly_capacity_hours": "30"}
            )
        )
        ids["staff_id"] = staff["id"]
        subscription = await _ok(
            await http.post(
                f"{sch}/v1/calendars/subscriptions", headers=h, json={"kind": "client", "subject_id": client["id"]}
            )
        )
        ids["subscription_id"] = subscription["id"]
        await publish(platform, [build("proposals", "vcio.proposals.proposal.accepted", A, {"bad": True})])

        async def dead() -> Any:
            items = (await http.get(f"{bil}/v1/dead-letters", headers=h)).json()["items"]
            return items[0] if items else None

        ids["dead_letter_id"] = (await eventually(dead, timeout=30))["id"]

        async def delivery() -> Any:
            items = (await http.get(f"{hooks}/{endpoint['id']}/deliveries", headers=h)).json()["items"]
            return items[0] if items else None

        ids["delivery_id"] = (await eventually(delivery, timeout=30))["id"]
        await _make_strategy_rows(http, platform.url("strategy"), h, ids)
    return ids


async def _make_strategy_rows(http: httpx.AsyncClient, url: str, h: dict[str, str], ids: dict[str, str]) -> None:
    """A's standard, an assessment of A's client with one answer, an initiative, a report and a template saved from
    it; strategy learns A's client from proposals' client.created (its trend and roadmap answer A once it has)."""
    standard = await _ok(
        await http.post(f"{url}/v1/standards", headers=h, json=BODIES[("PUT", "/v1/standards/{standard_id}")])
    )
    await _ok(await http.post(f"{url}/v1/standards/{standard['id']}/publish", headers=h))
    ids["standard_id"] = standard["id"]
    ids["question_id"] = standard["sections"][0]["questions"][0]["id"]
    body = {"client_id": ids["client_id"], "standard_id": standard["id"]}
    ids["assessment_id"] = (await _ok(await http.post(f"{url}/v1/assessments", headers=h, json=body)))["id"]
    await _ok(
        await http.put(
            f"{url}/v1/assessments/{ids['assessment_id']}/responses/{ids['question_id']}",
            headers=h,
            json={"answer": "no"},
        )
    )
    initiative = {
        "client_id": ids["client_id"],
        "title": "A's initiative",
        "category": "infrastructure",
        "priority": "high",
        "budget": {"currency": "USD", "one_time": [{"label": "Work", "amount": "100.00"}]},
    }
    ids["initiative_id"] = (await _ok(await http.post(f"{url}/v1/initiatives", headers=h, json=initiative)))["id"]
    body = {"client_id": ids["client_id"], "quarter": "2027-Q1"}
    report = await _ok(await http.post(f"{url}/v1/reports", headers=h, json=body))
    ids["report_id"] = report["id"]
    ids["component_id"] = report["sections"][-1]["components"][0]["id"]  # the notes
    saved = await http.post(f"{url}/v1/reports/{report['id']}/template", headers=h, json={"name": "A's layout"})
    ids["template_id"] = (await _ok(saved))["id"]


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), path)


async def test_every_route_with_an_id_answers_404_to_another_tenant(
    platform: Any, apps: dict[str, FastAPI], tenant_a: dict[str, str]
) -> None:
    leaks, checked = [], 0
    async with httpx.AsyncClient(timeout=60) as http:
        for service, app in apps.items():
            for path, methods, _ in v1_routes(app):
                if "{" not in path:
                    continue
                for method in sorted(methods - {"HEAD"}):
                    body = BODIES.get((method, path))
                    r = await http.request(
                        method,
                        platform.url(service) + _fill(path, tenant_a),
                        headers=auth(B),
                        json=body,
                        params=QUERIES.get(path),
                    )
                    checked += 1
                    if r.status_code != 404:
                        leaks.append(f"{service} {method} {path} → {r.status_code} {r.text[:120]}")
                    # ...and A still sees its own row (the 404 was isolation, not a typo in the test)
                    if method == "GET":
                        mine = await http.get(
                            platform.url(service) + _fill(path, tenant_a), headers=auth(A), params=QUERIES.get(path)
                        )
                        if mine.status_code != 200:
                            leaks.append(f"{service} GET {path}: A itself got {mine.status_code}")
    assert leaks == []
    assert checked >= 40


async def test_every_list_shows_another_tenant_nothing(
    platform: Any, apps: dict[str, FastAPI], tenant_a: dict[str, str]
) -> None:
    """B's lists, even filtered by A's ids, hold no row and no id of A's (aggregates may show zeros)."""
    seen, checked = [], 0
    async with httpx.AsyncClient(timeout=60) as http:
        for service, app in apps.items():
            for path, methods, _ in v1_routes(app):
                if "{" in path or "GET" not in methods:
                    continue
                filters = {k: v for k, v in tenant_a.items() if k in ("client_id", "agreement_id", "proposal_id")}
                r = await http.get(
                    platform.url(service) + path, headers=auth(B), params={**QUERIES.get(path, {}), **filters}
                )
                checked += 1
                leaked = [name for name, value in tenant_a.items() if value in r.text]
                items = r.json().get("items") if r.status_code == 200 and isinstance(r.json(), dict) else None
                if path == "/v1/standards":  # the starter standard is every tenant's: B sees it, and only it
                    items = [i for i in items or [] if not i["starter"]]
                if path == "/v1/report-templates":  # so is the default report template
                    items = [i for i in items or [] if not i["default"]]
                if leaked or (items and not path.startswith(("/v1/metrics", "/v1/capacity", "/v1/pipeline"))):
                    seen.append(f"{service} {path}: {leaked} {r.text[:120]}")
    assert seen == []
    assert checked >= 15


async def test_a_consumer_refuses_an_event_whose_tenant_does_not_own_the_rows(
    platform: Any, tenant_a: dict[str, str]
) -> None:
    """Tenant B's event names tenant A's agreement: the scheduler must not cancel A's plan."""
    sch = platform.url("scheduler")
    forged = build(
        "billing",
        "vcio.billing.agreement.cancelled",
        B,
        {
            "agreement_id": tenant_a["agreement_id"],
            "client_id": tenant_a["client_id"],
            "effective_date": START.isoformat(),
        },
    )
    nc = await nats.connect(platform.env["NATS_URL"])
    await nc.jetstream().publish(forged.type, encode(forged), headers={"Nats-Msg-Id": forged.id})
    await nc.close()
    marker = accepted_event(B)  # a later event on the same path, to know the forged one was handled
    await publish(platform, [marker])
    async with httpx.AsyncClient(timeout=30) as http:

        async def b_planned() -> bool:
            return bool((await http.get(f"{sch}/v1/activities", headers=auth(B))).json()["items"])

        await eventually(b_planned, timeout=30)
        statuses = {
            a["status"]
            for a in (
                await http.get(
                    f"{sch}/v1/activities", params={"agreement_id": tenant_a["agreement_id"]}, headers=auth(A)
                )
            ).json()["items"]
        }
        assert "cancelled" not in statuses
