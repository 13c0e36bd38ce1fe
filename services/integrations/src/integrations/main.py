"""The integrations service: `uvicorn --factory integrations.main:build_app`."""

from __future__ import annotations

from fastapi import FastAPI

from integrations.deliveries.handlers import handle_event
from integrations.deliveries.router import router as deliveries_router
from integrations.deliveries.sender import start_sender
from integrations.endpoints.router import router as endpoints_router
from integrations.streams import STREAMS
from vcio_shared.bus import ConsumerSpec
from vcio_shared.clock import Clock
from vcio_shared.runtime import Runtime, ServiceSpec, create_app
from vcio_shared.settings import Settings, load_settings

SERVICE = "integrations"

# One durable consumer `integrations--webhooks` per stream (a name is per stream in JetStream); the service's
# own events (an endpoint disabled) go out too.
WEBHOOK_CONSUMERS = [
    ConsumerSpec(name="integrations--webhooks", stream=stream, subjects=(f"vcio.{prefix}.>",), handler=handle_event)
    for stream, prefix in STREAMS.items()
]


async def _require_secrets_key(runtime: Runtime) -> None:
    """Endpoint secrets are stored encrypted: without VCIO_SECRETS_KEY the service refuses to start."""
    if not runtime.settings.secrets_key:
        raise RuntimeError("set VCIO_SECRETS_KEY (a Fernet key): integrations encrypts webhook secrets with it")


SPEC = ServiceSpec(
    name=SERVICE,
    title="vcio integrations",
    description="Signed outbound webhooks (Standard Webhooks) of every event of a tenant.",
    routers=[endpoints_router, deliveries_router],
    consumers=WEBHOOK_CONSUMERS,
    on_startup=[_require_secrets_key, start_sender],
)


def build_app(settings: Settings | None = None, clock: Clock | None = None, run_background: bool = True) -> FastAPI:
    return create_app(SPEC, settings or load_settings(SERVICE), clock=clock, run_background=run_background)
