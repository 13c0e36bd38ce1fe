import httpx
import pytest

from integrations.main import build_app
from vcio_shared.settings import Settings
from vcio_shared.testing import auth, eventually, running


async def test_healthz_answers_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200


async def test_readyz_is_200_once_nats_is_connected(client: httpx.AsyncClient) -> None:
    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready)


async def test_audit_needs_an_integrations_scope(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/audit", headers=auth(scopes="catalog:read"))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"


async def test_the_service_refuses_to_start_without_a_secrets_key(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="VCIO_SECRETS_KEY"):
        async with running(build_app(settings.model_copy(update={"secrets_key": None}))):
            pass
