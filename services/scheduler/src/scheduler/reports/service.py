"""Delivery reports: planned vs delivered, on-time rate, hours by role, outcomes; as JSON, HTML and PDF.

Definitions (exact, so the figures can be checked by hand):
- the report covers activities *due* in [from, to), due date as it stands after any reschedule;
- planned = every such activity that was not cancelled (skipped ones count: they were promised);
- delivered = completed; on time = completed on or before its due date, in the client's time zone;
- delivery rate = delivered ÷ planned; on-time rate = on time ÷ delivered; both half-up to 2 decimals;
- planned hours = the planned effort of planned activities; delivered hours = hours spent on delivered ones."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.reports import repository as repo
from scheduler.reports.schemas import CategoryCountOut, DeliveryReportOut, OutcomeOut, RoleHoursOut
from vcio_shared.errors import NotFound, Unprocessable

MAX_DAYS = 3700
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)


def _percent(num: int, den: int) -> str | None:
    if den == 0:
        return None
    return str((Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _outcome(r: Any, spent: Decimal, on_time: bool) -> OutcomeOut:
    figures = {"activity_id": r["id"], "on_time": on_time, "hours_spent": spent, "outcome": r["outcome"] or ""}
    return OutcomeOut.model_validate({**r, **figures})


async def delivery_report(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, start: dt.date, end: dt.date, today: dt.date
) -> DeliveryReportOut:
    if end <= start:
        raise Unprocessable.field(["query", "to"], "to must be after from")
    if (end - start).days > MAX_DAYS:
        raise Unprocessable.field(["query", "to"], "a report covers at most ten years")
    client = await repo.client(session, tenant_id, client_id)
    if client is None:  # the scheduler knows a client by its agreements: none activated yet, or another tenant's
        raise NotFound("no delivery plan for this client yet: the scheduler knows a client once an agreement is active")
    rows = await repo.activities_due(session, tenant_id, client_id, start, end)
    counts: dict[str, int] = defaultdict(int)
    planned_h: dict[str, Decimal] = defaultdict(Decimal)
    done_h: dict[str, Decimal] = defaultdict(Decimal)
    cats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    outcomes, skipped, overdue, on_time = [], [], 0, 0
    for r in rows:
        counts[r["status"]] += 1
        if r["status"] == "cancelled":
            continue
        planned_h[r["role"]] += r["effort_hours"]
        cats[r["category"]][0] += 1
        if r["status"] in ("planned", "scheduled") and r["due_date"] < today:
            overdue += 1
        if r["status"] == "skipped":
            skipped.append({"name": r["name"], "due_date": r["due_date"].isoformat(), "reason": r["skip_reason"] or ""})
        if r["status"] == "completed":
            spent = r["hours_spent"] if r["hours_spent"] is not None else r["effort_hours"]
            done_h[r["role"]] += spent
            cats[r["category"]][1] += 1
            timely = r["completed_on"] <= r["due_date"]
            on_time += timely
            outcomes.append(_outcome(r, spent, timely))
    planned = len(rows) - counts["cancelled"]
    delivered = counts["completed"]
    return DeliveryReportOut(
        client_id=client_id,
        client_name=client.client_name,
        period_from=start,
        period_to=end,
        planned=planned,
        delivered=delivered,
        skipped=counts["skipped"],
        cancelled=counts["cancelled"],
        outstanding=counts["planned"] + counts["scheduled"],
        overdue=overdue,
        on_time=on_time,
        delivery_rate_percent=_percent(delivered, planned),
        on_time_rate_percent=_percent(on_time, delivered),
        hours_by_role=[
            RoleHoursOut(role=role, planned_hours=f"{planned_h[role]:.2f}", delivered_hours=f"{done_h[role]:.2f}")
            for role in sorted(planned_h)
        ],
        by_category=[CategoryCountOut(category=c, planned=v[0], delivered=v[1]) for c, v in sorted(cats.items())],
        outcomes=outcomes,
        skipped_reasons=skipped,
    )


LABELS = {
    "vcio": "vCIO",
    "account_manager": "Account manager",
    "technical_account_manager": "Technical account manager",
    "engineer": "Engineer",
    "it_strategy": "IT strategy",
    "business_applications": "Business applications",
    "data_and_bi": "Data and BI",
    "office_productivity": "Office productivity",
    "proposals": "Proposals",
    "system_integrations": "System integrations",
    "cybersecurity": "Cybersecurity",
    "infrastructure": "Infrastructure",
    "account_management": "Account management",
}


def _label(code: str) -> str:
    return LABELS.get(code, code.replace("_", " ").capitalize())


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


def render_html(report: DeliveryReportOut, generated_on: dt.date) -> str:
    last_day = report.period_to - dt.timedelta(days=1)  # the period is half-open: show its last included day
    return _env.get_template("delivery.html").render(
        r=report,
        generated_on=_day(generated_on),
        period=f"{_day(report.period_from)} – {_day(last_day)}",
        label=_label,
    )


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported lazily: it is slow to import and only PDFs need it

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


async def render_pdf(report: DeliveryReportOut, generated_on: dt.date) -> bytes:
    # WeasyPrint is CPU-bound: keep the event loop free for other requests.
    return await asyncio.to_thread(_pdf, render_html(report, generated_on))
