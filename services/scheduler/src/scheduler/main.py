"""The scheduler service: `uvicorn --factory scheduler.main:build_app`."""

from __future__ import annotations

from fastapi import FastAPI

from scheduler.activities import sweeps as activity_sweeps
from scheduler.activities.router import router as activities_router
from scheduler.calendars.router import router as calendars_router
from scheduler.plans.handlers import handle_billing_event
from scheduler.plans.router import router as plans_router
from scheduler.reports.router import router as reports_router
from scheduler.staff.router import router as staff_router
from scheduler.tenants.router import router as tenants_router
from vcio_shared.bus import ConsumerSpec
from vcio_shared.clock import Clock
from vcio_shared.runtime import PeriodicTask, ServiceSpec, create_app
from vcio_shared.settings import Settings, load_settings

SERVICE = "scheduler"

# The consumers and sweeps, declared here in every service; the domain modules hold their functions.
BILLING_CONSUMER = ConsumerSpec(
    name="scheduler--billing",
    stream="BILLING",
    subjects=(
        "vcio.billing.agreement.activated",
        "vcio.billing.agreement.changed",
        "vcio.billing.agreement.renewed",
        "vcio.billing.agreement.cancelled",
    ),
    handler=handle_billing_event,
)
OVERDUE_SWEEP = PeriodicTask(name="overdue", interval=300.0, run=activity_sweeps.run_overdue_sweep)
# Every 10 minutes: a tenant's Monday 07:00-24:00 window (its time zone) sees the digest go on the first run in it.
DIGEST_SWEEP = PeriodicTask(name="digest", interval=600.0, run=activity_sweeps.run_digest_sweep)

SPEC = ServiceSpec(
    name=SERVICE,
    title="vcio scheduler",
    description="Delivery plans from agreements: assignment, tracking, overdue, calendars and delivery reports.",
    routers=[plans_router, activities_router, staff_router, calendars_router, reports_router, tenants_router],
    consumers=[BILLING_CONSUMER],
    periodic=[OVERDUE_SWEEP, DIGEST_SWEEP],
    mail=True,
)


def build_app(settings: Settings | None = None, clock: Clock | None = None, run_background: bool = True) -> FastAPI:
    return create_app(SPEC, settings or load_settings(SERVICE), clock=clock, run_background=run_background)
