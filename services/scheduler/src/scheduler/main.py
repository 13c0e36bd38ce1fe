"""The scheduler service: `uvicorn --factory scheduler.main:build_app`."""

from __future__ import annotations

from fastapi import FastAPI

from scheduler.activities.router import router as activities_router
from scheduler.activities.sweeps import OVERDUE_SWEEP
from scheduler.calendars.router import router as calendars_router
from scheduler.plans.handlers import BILLING_CONSUMER
from scheduler.plans.router import router as plans_router
from scheduler.reports.router import router as reports_router
from scheduler.staff.router import router as staff_router
from scheduler.tenants.router import router as tenants_router
from vcio_shared.clock import Clock
from vcio_shared.runtime import ServiceSpec, create_app
from vcio_shared.settings import Settings, load_settings

SERVICE = "scheduler"

SPEC = ServiceSpec(
    name=SERVICE,
    title="vcio scheduler",
    description="Delivery plans from agreements: assignment, tracking, overdue, calendars and delivery reports.",
    routers=[plans_router, activities_router, staff_router, calendars_router, reports_router, tenants_router],
    consumers=[BILLING_CONSUMER],
    periodic=[OVERDUE_SWEEP],
)


def build_app(settings: Settings | None = None, clock: Clock | None = None, run_background: bool = True) -> FastAPI:
    return create_app(SPEC, settings or load_settings(SERVICE), clock=clock, run_background=run_background)
