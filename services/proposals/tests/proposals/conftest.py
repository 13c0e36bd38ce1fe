import httpx
import pytest
from fastapi import FastAPI

from services.proposals.tests.support import create_client, package_event, seed


@pytest.fixture
async def setup(client: httpx.AsyncClient, app: FastAPI) -> dict:
    """A published package and a client of the default tenant."""
    package_id = await seed(app, package_event())
    c = await create_client(client)
    return {"package_id": package_id, "client_id": c["id"]}
