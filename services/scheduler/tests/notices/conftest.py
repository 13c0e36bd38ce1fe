"""Fixtures for the staff mail: a real SMTP server (aiosmtpd on a free port) and a scheduler that sends to it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # notice_helpers (import-mode=importlib adds no path)

from scheduler_helpers import Scheduler, create_billing_stream

from scheduler.main import build_app
from vcio_shared.clock import FixedClock
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, running

MAIL_FROM = "vcio scheduler <scheduler@vcio.example>"


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    with SmtpRecorder() as server:
        yield server


@pytest.fixture
async def mailing(
    database_factory: Callable[[str], str], nats_url: str, clock: FixedClock, smtp: SmtpRecorder
) -> AsyncIterator[Scheduler]:
    """The scheduler with its mail sender pointed at `smtp` (the sweeps are run by the tests, on `clock`)."""
    await create_billing_stream(nats_url)
    settings = load_settings(
        "scheduler",
        database_url=database_factory("scheduler"),
        nats_url=nats_url,
        jwt_secret=TEST_SECRET,
        public_base_url="https://vcio.example",
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        mail_from=MAIL_FROM,
    )
    app = build_app(settings, clock=clock)
    async with running(app) as client:
        yield Scheduler(client=client, runtime=app.state.runtime, clock=clock, nats_url=nats_url)
