"""Delivery reports with exact figures, as JSON, HTML and PDF."""

import datetime as dt
import io

import pypdf
from scheduler_helpers import OTHER, Scheduler, activity, auth_headers, billing_event

H = auth_headers()


async def _quarter(svc: Scheduler) -> dict:
    """Q1 2027 for Acme: 3 monthly reviews (TAM, 2 h), 1 QBR (vCIO, 4 h), 13 weekly check-ins (AM, 0.5 h)."""
    data = await svc.activate(
        start="2027-01-04",
        end="2028-01-04",
        client_name="Acme Dental",
        activities=[
            activity(
                "Monthly ticket review", "FREQ=MONTHLY", "technical_account_manager", "2", category="cybersecurity"
            ),
            activity("Quarterly business review", "FREQ=MONTHLY;INTERVAL=3", "vcio", "4"),
            activity("Weekly check-in", "FREQ=WEEKLY", "account_manager", "0.5", category="account_management"),
        ],
    )
    items = await svc.activities(data["agreement_id"])
    q1 = [a for a in items if a["due_date"] < "2027-04-01"]
    reviews = [a for a in q1 if a["name"] == "Monthly ticket review"]
    qbr = next(a for a in q1 if a["name"] == "Quarterly business review")
    checkins = [a for a in q1 if a["name"] == "Weekly check-in"]
    svc.clock.set(dt.datetime(2027, 4, 1, 12, tzinfo=dt.UTC))

    async def done(a: dict, at: str, hours: str, outcome: str = "Delivered") -> None:
        r = await svc.client.post(
            f"/v1/activities/{a['id']}/complete",
            json={"outcome": outcome, "hours_spent": hours, "completed_at": at},
            headers=H,
        )
        assert r.status_code == 200, r.text

    # reviews: Jan on time, Feb two days late, Mar on time (23:30 New York on the due date is still on time)
    await done(reviews[0], "2027-01-04T16:00:00Z", "2.5", "Three recurring printer tickets closed")
    await done(reviews[1], "2027-02-06T16:00:00Z", "1.75")
    await done(reviews[2], "2027-03-05T04:30:00Z", "2")
    await done(qbr, "2027-01-03T20:00:00Z", "5.25", "Roadmap agreed")
    for a in checkins[:10]:
        await done(a, f"{a['due_date']}T15:00:00Z", "0.5")
    await svc.client.post(f"/v1/activities/{checkins[10]['id']}/skip", json={"reason": "Office closed"}, headers=H)
    await svc.publish_and_wait(
        billing_event(
            "vcio.billing.agreement.cancelled",
            {"agreement_id": data["agreement_id"], "client_id": data["client"]["id"], "effective_date": "2027-03-29"},
        )
    )
    return data


async def test_delivery_report_has_exact_figures(svc: Scheduler) -> None:
    data = await _quarter(svc)
    r = await svc.client.get(
        f"/v1/reports/delivery/{data['client']['id']}", params={"from": "2027-01-01", "to": "2027-04-01"}, headers=H
    )
    assert r.status_code == 200, r.text
    rep = r.json()
    # 17 due in Q1; the 29 March check-in was cancelled; 16 planned: 14 delivered, 1 skipped, 1 outstanding
    assert (rep["from"], rep["to"], rep["client_name"]) == ("2027-01-01", "2027-04-01", "Acme Dental")
    assert (rep["planned"], rep["delivered"], rep["skipped"], rep["cancelled"], rep["outstanding"], rep["overdue"]) == (
        16,
        14,
        1,
        1,
        1,
        1,
    )
    assert (rep["on_time"], rep["delivery_rate_percent"], rep["on_time_rate_percent"]) == (13, "87.50", "92.86")
    assert rep["hours_by_role"] == [
        {"role": "account_manager", "planned_hours": "6.00", "delivered_hours": "5.00"},
        {"role": "technical_account_manager", "planned_hours": "6.00", "delivered_hours": "6.25"},
        {"role": "vcio", "planned_hours": "4.00", "delivered_hours": "5.25"},
    ]
    assert rep["by_category"] == [
        {"category": "account_management", "planned": 12, "delivered": 10},
        {"category": "cybersecurity", "planned": 3, "delivered": 3},
        {"category": "it_strategy", "planned": 1, "delivered": 1},
    ]
    late = [o for o in rep["outcomes"] if not o["on_time"]]
    assert [(o["name"], o["due_date"], o["completed_on"]) for o in late] == [
        ("Monthly ticket review", "2027-02-04", "2027-02-06")
    ]
    assert rep["skipped_reasons"] == [{"name": "Weekly check-in", "due_date": "2027-03-15", "reason": "Office closed"}]


async def test_delivery_report_as_html_and_pdf(svc: Scheduler) -> None:
    data = await _quarter(svc)
    params = {"from": "2027-01-01", "to": "2027-04-01"}
    html = await svc.client.get(
        f"/v1/reports/delivery/{data['client']['id']}", params={**params, "format": "html"}, headers=H
    )
    assert html.headers["content-type"].startswith("text/html")
    assert "Acme Dental" in html.text
    assert "14 / 16" in html.text
    assert "Three recurring printer tickets closed" in html.text
    # people read inclusive dates: the half-open [from, to) shows its last day, 31 March, never 1 April
    assert "1 January 2027 – 31 March 2027" in html.text
    assert "<title>Delivery report — Acme Dental — 1 January 2027 – 31 March 2027</title>" in html.text
    assert "2027-04-01" not in html.text
    pdf = await svc.client.get(
        f"/v1/reports/delivery/{data['client']['id']}", params={**params, "format": "pdf"}, headers=H
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'inline; filename="delivery-2027-01-01-2027-03-31.pdf"'
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Delivery report" in text
    assert "87.50%" in text
    assert "Roadmap agreed" in text


async def test_delivery_report_refuses_bad_input_and_other_tenants(svc: Scheduler) -> None:
    data = await svc.activate()
    url = f"/v1/reports/delivery/{data['client']['id']}"
    for params in [
        {"from": "2027-02-01", "to": "2027-01-01"},
        {"from": "2027-01-01"},
        {"from": "2027-01-01", "to": "2027-02-01", "format": "xlsx"},
        {"from": "2027-13-01", "to": "x"},
    ]:
        assert (await svc.client.get(url, params=params, headers=H)).status_code == 422, params
    r = await svc.client.get(url, params={"from": "2027-01-01", "to": "2027-02-01"}, headers=auth_headers(OTHER))
    assert r.status_code == 404


async def test_a_report_before_any_plan_is_a_404_that_says_so(svc: Scheduler) -> None:
    """A client proposals knows but with no agreement activated here yet: 404 in every format, saying why."""
    unplanned = "0190a0a0-0000-7000-8000-00000000beef"
    for fmt in ("json", "html", "pdf"):
        params = {"from": "2027-01-01", "to": "2027-04-01", "format": fmt}
        r = await svc.client.get(f"/v1/reports/delivery/{unplanned}", params=params, headers=H)
        assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json"), fmt
        assert r.json()["detail"] == (
            "no delivery plan for this client yet: the scheduler knows a client once an agreement is active"
        )
    data = await svc.activate()  # once planned, the same route answers
    r = await svc.client.get(
        f"/v1/reports/delivery/{data['client']['id']}", params={"from": "2027-01-01", "to": "2027-04-01"}, headers=H
    )
    assert r.status_code == 200
