from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from catalog.main import build_app
from vcio_shared.clock import FixedClock
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, running


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(__import__("datetime").date(2027, 1, 4))


@pytest.fixture
async def client(database_factory: Callable[[str], str], nats_url: str, clock: FixedClock
                 ) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings("catalog", database_url=database_factory("catalog"), nats_url=nats_url,
                             jwt_secret=TEST_SECRET)
    async with running(build_app(settings, clock=clock)) as c:
        yield c
