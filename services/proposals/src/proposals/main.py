"""The proposals service: `uvicorn --factory proposals.main:build_app`."""

from __future__ import annotations

import os
import secrets

from fastapi import FastAPI

from proposals.catalog import handlers as catalog_handlers
from proposals.catalog.router import router as catalog_router
from proposals.client_page.router import router as client_page_router
from proposals.client_page.security import EXTRA_HEADERS, PAGE_PREFIX, Csrf, csp
from proposals.clients.router import router as clients_router
from proposals.msp.router import router as msp_router
from proposals.proposals import sweeps
from proposals.proposals.pdf import PdfRenderer
from proposals.proposals.router import router as proposals_router
from proposals.validation import RefuseNulInQuery
from vcio_shared.bus import ConsumerSpec
from vcio_shared.clock import Clock
from vcio_shared.public_pages import PublicPageHeaders
from vcio_shared.ratelimit import RateLimiter
from vcio_shared.runtime import PeriodicTask, ServiceSpec, create_app
from vcio_shared.settings import Settings, load_settings

SERVICE = "proposals"

# The consumers and sweeps, declared here in every service; the domain modules hold their functions.
CATALOG_CONSUMER = ConsumerSpec(
    name="proposals--catalog",
    stream="CATALOG",
    subjects=(catalog_handlers.PUBLISHED, catalog_handlers.RETIRED),
    handler=catalog_handlers.handle,
)
EXPIRY = PeriodicTask(name="expire-proposals", interval=60.0, run=sweeps.expire_proposals)
REMINDERS = PeriodicTask(name="remind-proposals", interval=300.0, run=sweeps.remind_before_expiry)

SPEC = ServiceSpec(
    name=SERVICE,
    description="Clients, proposals built from published packages, the client's page to accept, HTML and PDF.",
    routers=[clients_router, proposals_router, catalog_router, msp_router, client_page_router],
    consumers=[CATALOG_CONSUMER],
    periodic=[EXPIRY, REMINDERS],
    mail=True,
)


def build_app(settings: Settings | None = None, clock: Clock | None = None, run_background: bool = True) -> FastAPI:
    settings = settings or load_settings(SERVICE)
    app = create_app(SPEC, settings, clock=clock, run_background=run_background)
    app.add_middleware(PublicPageHeaders, prefix=PAGE_PREFIX, csp=csp, extra=EXTRA_HEADERS)
    app.add_middleware(RefuseNulInQuery)
    # The CSRF key must be the same on every replica: the JWT secret when there is one, else PROPOSALS_CSRF_SECRET.
    secret = os.environ.get("PROPOSALS_CSRF_SECRET") or settings.jwt_secret or secrets.token_hex(32)
    app.state.csrf = Csrf(f"csrf:{secret}".encode())
    app.state.page_limiter = RateLimiter(limit=int(os.environ.get("PROPOSALS_PAGE_RATE_LIMIT", "60")))
    app.state.pdf = PdfRenderer.from_environment("proposals")  # per process: bounded renders at once, bounded cache
    # The PDFs attached to mail (sent in the send's or acceptance's transaction) have slots of their own, so a
    # burst of page downloads never holds a send back, nor the reverse.
    app.state.mail_pdf = PdfRenderer.from_environment("proposals")
    return app
