import datetime as dt
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from integrations.main import build_app
from vcio_shared.clock import FixedClock
from vcio_shared.settings import Settings, load_settings
from vcio_shared.testing import TEST_SECRET, running

# A fixed Fernet key (32 bytes, url-safe base64): tests only.
TEST_SECRETS_KEY = "dGVzdC1rZXktZm9yLXRoZS12Y2lvLXN1aXRlLTAwMDA="
START = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database_factory: Callable[[str], str], nats_url: str) -> Settings:
    return load_settings(
        "integrations",
        database_url=database_factory("integrations"),
        nats_url=nats_url,
        jwt_secret=TEST_SECRET,
        secrets_key=TEST_SECRETS_KEY,
    )


@pytest.fixture
async def client(settings: Settings, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    async with running(build_app(settings, clock=clock)) as c:
        yield c
