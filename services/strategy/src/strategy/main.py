"""The strategy service: `uvicorn --factory strategy.main:build_app`."""

from __future__ import annotations

from fastapi import FastAPI

from strategy.assessments.router import clients_router as trend_router
from strategy.assessments.router import router as assessments_router
from strategy.clients.handlers import handle_proposals_event
from strategy.delivered.handlers import COMPLETED, handle_scheduler_event
from strategy.initiatives.router import clients_router as roadmap_router
from strategy.initiatives.router import router as initiatives_router
from strategy.invoices.handlers import SUBJECTS as BILLING_SUBJECTS
from strategy.invoices.handlers import handle_billing_event
from strategy.reports.router import router as reports_router
from strategy.reports.router import templates_router as report_templates_router
from strategy.shares.router import router as shares_router
from strategy.shares.security import EXTRA_HEADERS, PAGE_PREFIX, csp
from strategy.standards.router import router as standards_router
from strategy.tenants.router import router as settings_router
from vcio_shared.bus import ConsumerSpec
from vcio_shared.clock import Clock
from vcio_shared.documents import PdfRenderer
from vcio_shared.public_pages import PublicPageHeaders
from vcio_shared.runtime import ServiceSpec, create_app
from vcio_shared.settings import Settings, load_settings

SERVICE = "strategy"

# The consumers, declared here in every service; the domain modules hold their functions.
PROPOSALS_CONSUMER = ConsumerSpec(
    name="strategy--proposals",
    stream="PROPOSALS",
    subjects=("vcio.proposals.client.created", "vcio.proposals.client.updated"),  # the clients' names, currencies
    handler=handle_proposals_event,
)
SCHEDULER_CONSUMER = ConsumerSpec(
    name="strategy--scheduler",
    stream="SCHEDULER",
    subjects=(COMPLETED,),  # the QBR's delivered work
    handler=handle_scheduler_event,
)
BILLING_CONSUMER = ConsumerSpec(
    name="strategy--billing",
    stream="BILLING",
    subjects=BILLING_SUBJECTS,  # the QBR's invoices and MRR
    handler=handle_billing_event,
)

SPEC = ServiceSpec(
    name=SERVICE,
    title="vcio strategy",
    description="Standards and alignment assessments with scores and findings, initiatives and the client's roadmap "
    "with budgets per quarter and fiscal year, QBR reports, and share links for the client (HTML and PDF).",
    routers=[
        standards_router,
        assessments_router,
        initiatives_router,
        trend_router,
        roadmap_router,
        settings_router,
        reports_router,
        report_templates_router,
        shares_router,
    ],
    consumers=[PROPOSALS_CONSUMER, SCHEDULER_CONSUMER, BILLING_CONSUMER],
)


def build_app(settings: Settings | None = None, clock: Clock | None = None, run_background: bool = True) -> FastAPI:
    app = create_app(SPEC, settings or load_settings(SERVICE), clock=clock, run_background=run_background)
    app.add_middleware(PublicPageHeaders, prefix=PAGE_PREFIX, csp=csp, extra=EXTRA_HEADERS)
    # per process: bounded renders at once, bounded cache
    app.state.pdf = PdfRenderer.from_environment("strategy", max_entries=64, max_mib=32)
    return app
