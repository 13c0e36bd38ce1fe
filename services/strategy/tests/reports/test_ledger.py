"""The quarter's delivered work and money in a report: from the scheduler's and billing's real events on NATS."""

from typing import Any

import httpx
import nats

from services.strategy.tests.support import CLIENT, name_client
from vcio_shared.events import build, encode
from vcio_shared.testing import auth, eventually

AGREEMENT = "0195b2d0-0000-7000-8000-00000000ab01"
SHORT = "0195b2d0-0000-7000-8000-00000000ab02"


async def publish(
    nats_url: str, service: str, type_: str, data: dict[str, Any], tenant: str = "tenant-a", again: bool = True
) -> None:
    """One CloudEvent as the service's relay publishes it, then the same event again as a second message (what an
    at-least-once redelivery looks like to the consumer: its inbox, not JetStream's duplicate window, drops it)."""
    event = build(service, type_, tenant, data)
    nc = await nats.connect(nats_url)
    try:
        for msg_id in (event.id, f"{event.id}-again")[: 2 if again else 1]:
            await nc.jetstream().publish(type_, encode(event), headers={"Nats-Msg-Id": msg_id})
    finally:
        await nc.close()


def activity(n: int, completed_at: str, hours: str | None) -> dict[str, Any]:
    return {
        "id": f"0195b2d0-0000-7000-8000-0000000ac00{n}",
        "agreement_id": AGREEMENT,
        "client_id": CLIENT,
        "name": f"Activity {n}",
        "category": "cybersecurity",
        "track": "technical",
        "billing_mode": "included",
        "role": "engineer",
        "due_date": completed_at[:10],
        "completed_at": completed_at,
        "outcome": f"done {n}",
        "hours_spent": hours,
        "deliverable_links": [],
    }


def invoice(n: int, issue_date: str, total: str, amount_due: str) -> dict[str, Any]:
    return {
        "id": f"0195b2d0-0000-7000-8000-0000000ad00{n}",
        "number": f"INV-000{n}",
        "agreement_id": AGREEMENT,
        "client_id": CLIENT,
        "status": "issued",
        "period_start": issue_date,
        "period_end": issue_date,
        "issue_date": issue_date,
        "due_date": issue_date,
        "currency": "USD",
        "subtotal": total,
        "tax": "0.00",
        "total": total,
        "amount_due": amount_due,
        "lines": [],
    }


def agreement(agreement_id: str, monthly: str) -> dict[str, Any]:
    return {
        "id": agreement_id,
        "agreement_id": agreement_id,
        "client": {"id": CLIENT, "name": "Acme Dental"},
        "status": "active",
        "start_date": "2026-10-01",
        "end_date": "2027-10-01",
        "monthly_amount": monthly,
        "currency": "USD",
    }


async def send_the_quarter(nats_url: str) -> None:
    """Fiscal 2027 Q2 (October to December 2026, January fiscal years: calendar 2026 Q4 is "2026-Q4")."""
    s, b = "scheduler", "billing"
    await publish(nats_url, s, "vcio.scheduler.activity.completed", activity(1, "2026-10-05T15:00:00+00:00", "2.50"))
    await publish(nats_url, s, "vcio.scheduler.activity.completed", activity(2, "2026-12-31T23:30:00+00:00", "1.00"))
    await publish(nats_url, s, "vcio.scheduler.activity.completed", activity(3, "2027-01-01T00:00:00+00:00", "4.00"))
    await publish(nats_url, s, "vcio.scheduler.activity.completed", activity(4, "2026-11-02T09:00:00+00:00", "9.00"),
                  tenant="tenant-b")  # fmt: skip
    await publish(nats_url, b, "vcio.billing.agreement.activated", agreement(AGREEMENT, "1500.00"))
    await publish(nats_url, b, "vcio.billing.agreement.activated", agreement(SHORT, "200.00"))
    cancel = {"agreement_id": SHORT, "client_id": CLIENT, "effective_date": "2026-12-15"}
    await publish(nats_url, b, "vcio.billing.agreement.cancelled", cancel)
    await publish(nats_url, b, "vcio.billing.invoice.issued", invoice(1, "2026-10-01", "1700.00", "1700.00"))
    await publish(nats_url, b, "vcio.billing.invoice.issued", invoice(2, "2026-11-01", "1700.00", "1700.00"))
    await publish(nats_url, b, "vcio.billing.invoice.paid", {**invoice(2, "2026-11-01", "1700.00", "0.00"),
                                                               "status": "paid"})  # fmt: skip
    await publish(nats_url, b, "vcio.billing.invoice.issued", invoice(3, "2026-12-01", "1700.00", "1700.00"))
    await publish(nats_url, b, "vcio.billing.invoice.voided", {**invoice(3, "2026-12-01", "1700.00", "0.00"),
                                                                 "status": "void"})  # fmt: skip
    await publish(nats_url, b, "vcio.billing.invoice.issued", invoice(4, "2027-01-01", "1500.00", "1500.00"))


async def test_the_quarter_in_review_counts_what_was_delivered_and_invoiced(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    await name_client(client, nats_url)
    await send_the_quarter(nats_url)
    body = {"client_id": CLIENT, "quarter": "2026-Q4"}
    report = (await client.post("/v1/reports", json=body, headers=auth())).json()
    assert (report["period_start"], report["period_end"]) == ("2026-10-01", "2027-01-01")

    async def complete() -> Any:
        r = (await client.post(f"/v1/reports/{report['id']}/refresh", headers=auth())).json()
        parts = {c["kind"]: c["data"] for s in r["sections"] for c in s["components"]}
        settled = parts["invoices"]["totals"] and parts["invoices"]["totals"][0]["mrr"] == "1500.00"
        return parts if settled and len(parts["invoices"]["items"]) == 3 and parts["activities"]["count"] == 2 else None

    parts = await eventually(complete, timeout=30)
    # activities 1 and 2 are in the quarter (2 is its last half hour); 3 is in the next; 4 is tenant B's
    assert (parts["activities"]["count"], parts["activities"]["hours"]) == (2, "3.50")
    assert [a["name"] for a in parts["activities"]["delivered"]] == ["Activity 1", "Activity 2"]
    # invoiced: INV-0001 and INV-0002 (INV-0003 voided, INV-0004 next quarter); owed: INV-0001 only;
    # MRR on 31 December: 1,500.00 (the 200.00 agreement was cancelled from 15 December)
    assert parts["invoices"]["totals"] == [
        {"currency": "USD", "invoiced": "3400.00", "outstanding": "1700.00", "mrr": "1500.00", "active_agreements": 1}
    ]
    assert [(i["number"], i["status"], i["amount_due"]) for i in parts["invoices"]["items"]] == [
        ("INV-0001", "issued", "1700.00"),
        ("INV-0002", "paid", "0.00"),
        ("INV-0003", "voided", "0.00"),
    ]
    # a late `issued` of a paid invoice does not make it owed again
    await publish(nats_url, "billing", "vcio.billing.invoice.issued", invoice(2, "2026-11-01", "1700.00", "1700.00"))
    await publish(nats_url, "billing", "vcio.billing.invoice.issued", invoice(5, "2026-12-20", "10.00", "10.00"))

    async def fifth() -> Any:
        r = (await client.post(f"/v1/reports/{report['id']}/refresh", headers=auth())).json()
        parts = {c["kind"]: c["data"] for s in r["sections"] for c in s["components"]}
        return parts if len(parts["invoices"]["items"]) == 4 else None

    parts = await eventually(fifth, timeout=30)
    assert parts["invoices"]["totals"][0]["outstanding"] == "1710.00"
    html = (await client.get(f"/v1/reports/{report['id']}/html", headers=auth())).text
    assert "3,410.00 USD" in html and "1,500.00 USD" in html and "Activity 2" in html


async def test_a_malformed_event_is_dead_lettered_not_retried_forever(client: httpx.AsyncClient, nats_url: str) -> None:
    await name_client(client, nats_url)
    await publish(
        nats_url, "billing", "vcio.billing.invoice.issued", {**invoice(1, "2026-10-01", "1.505", "1.505")}, again=False
    )
    await publish(nats_url, "scheduler", "vcio.scheduler.activity.completed", {"id": "nope"}, again=False)

    async def dead() -> Any:
        r = await client.get("/v1/dead-letters", headers=auth())
        items = r.json()["items"] if r.status_code == 200 else []
        return items if len(items) == 2 else None

    items = await eventually(dead, timeout=30)
    assert sorted(i["subject"] for i in items) == ["vcio.billing.invoice.issued", "vcio.scheduler.activity.completed"]
