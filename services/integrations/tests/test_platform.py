import httpx
import pytest

from integrations.main import build_app
from vcio_shared.settings import Settings
from vcio_shared.testing import auth, running


async def test_the_probes_answer_once_connected(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).json() == {"status": "ready", "checks": {"database": "ok", "nats": "ok"}}
    metrics = (await client.get("/metrics")).text
    assert "vcio_webhooks_delivered_total" in metrics


async def test_audit_needs_an_integrations_scope(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/audit", headers=auth(scopes="catalog:read"))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"


async def test_the_service_refuses_to_start_without_a_secrets_key(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="VCIO_SECRETS_KEY"):
        async with running(build_app(settings.model_copy(update={"secrets_key": None}))):
            pass
