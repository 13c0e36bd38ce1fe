"""The billing service: `uvicorn --factory billing.main:build_app`."""

from __future__ import annotations

from fastapi import FastAPI

from billing import sweeps
from billing.agreements.handlers import handle_proposals_event
from billing.agreements.router import router as agreements_router
from billing.deliveries.handlers import handle_activity_completed
from billing.invoices.router import HOT_READS
from billing.invoices.router import router as invoices_router
from billing.mail.handlers import handle_invoice_issued
from billing.metrics.router import router as metrics_router
from billing.runs.router import router as runs_router
from billing.tenants.router import router as settings_router
from vcio_shared.bus import ConsumerSpec
from vcio_shared.clock import Clock
from vcio_shared.runtime import PeriodicTask, ServiceSpec, create_app
from vcio_shared.settings import Settings, load_settings

SERVICE = "billing"

# The consumers and sweeps, declared here in every service; the domain modules hold their functions.
PROPOSALS_CONSUMER = ConsumerSpec(
    name="billing--proposals",
    stream="PROPOSALS",
    subjects=(
        "vcio.proposals.proposal.accepted",
        "vcio.proposals.client.updated",
        "vcio.proposals.msp_profile.updated",  # the seller on invoices
    ),
    handler=handle_proposals_event,
)
SCHEDULER_CONSUMER = ConsumerSpec(
    name="billing--scheduler",
    stream="SCHEDULER",
    subjects=("vcio.scheduler.activity.completed",),
    handler=handle_activity_completed,
)
RENEWALS = PeriodicTask(name="renewals", interval=300.0, run=sweeps.renewals)
AUTOMATIC_BILLING = PeriodicTask(name="automatic-billing", interval=60.0, run=sweeps.automatic_billing)
PAYMENT_REMINDERS = PeriodicTask(name="payment-reminders", interval=300.0, run=sweeps.payment_reminders)
# billing's own invoice.issued: each issued invoice is mailed with its PDF, rendered here rather than in the
# billing run's transaction (a PDF takes ~0.4 s; a run issues thousands of invoices in seconds)
INVOICE_MAIL_CONSUMER = ConsumerSpec(
    name="billing--invoice-mail",
    stream="BILLING",
    subjects=("vcio.billing.invoice.issued",),
    handler=handle_invoice_issued,
)

SPEC = ServiceSpec(
    name=SERVICE,
    title="vcio billing",
    description="Agreements, automated billing runs, invoices, payments, credit notes, MRR and value delivered.",
    # Routes are matched in order: invoices first, as integrations read invoices most (GET /v1/invoices/{id}).
    routers=[invoices_router, agreements_router, runs_router, metrics_router, settings_router],
    hot_reads=HOT_READS,  # GET /v1/invoices/{id} before the router: see invoices.router.hot_get_invoice
    consumers=[PROPOSALS_CONSUMER, SCHEDULER_CONSUMER, INVOICE_MAIL_CONSUMER],
    periodic=[RENEWALS, AUTOMATIC_BILLING, PAYMENT_REMINDERS],
    mail=True,  # invoices, receipts, credit notes, payment reminders, renewal notices (billing.mail)
)


def build_app(settings: Settings | None = None, clock: Clock | None = None, run_background: bool = True) -> FastAPI:
    return create_app(SPEC, settings or load_settings(SERVICE), clock=clock, run_background=run_background)
