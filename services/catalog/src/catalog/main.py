"""The catalog service: `uvicorn --factory catalog.main:build_app`."""

from __future__ import annotations

from fastapi import FastAPI

from catalog.packages.router import router as packages_router
from catalog.packages.router import starter_router
from catalog.tenants.router import router as settings_router
from vcio_shared.clock import Clock
from vcio_shared.runtime import ServiceSpec, create_app
from vcio_shared.settings import Settings, load_settings

SERVICE = "catalog"

SPEC = ServiceSpec(
    name=SERVICE,
    description="vCIO packages, tiers, prices and activity templates with RRULE cadences, versioned.",
    routers=[packages_router, starter_router, settings_router],
)


def build_app(settings: Settings | None = None, clock: Clock | None = None, run_background: bool = True) -> FastAPI:
    return create_app(SPEC, settings or load_settings(SERVICE), clock=clock, run_background=run_background)
