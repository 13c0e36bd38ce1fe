"""`vcio seed --tenant T` (cli/src/vcio_cli/catalog.py) against a real catalog served by uvicorn."""

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from typer.testing import CliRunner

from catalog.main import build_app
from vcio_cli import catalog as catalog_cli
from vcio_shared.clock import FixedClock
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET

from .conftest import TODAY


@pytest.fixture
def catalog_url(database_factory: Callable[[str], str], nats_url: str) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = load_settings(
        "catalog", database_url=database_factory("catalog"), nats_url=nats_url, jwt_secret=TEST_SECRET
    )
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(settings, clock=FixedClock(TODAY)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_seed_loads_the_starter_catalog_then_changes_nothing(catalog_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_URL", catalog_url)
    monkeypatch.setenv("VCIO_JWT_SECRET", TEST_SECRET)
    monkeypatch.delenv("VCIO_TOKEN", raising=False)
    runner = CliRunner()
    first = runner.invoke(catalog_cli.app, ["seed", "--tenant", "msp-1"])
    assert first.exit_code == 0, first.output
    assert "vCIO Essentials" in first.output and "1500.00 USD/month" in first.output
    assert "loaded 3 starter packages for tenant msp-1" in first.output
    second = runner.invoke(catalog_cli.app, ["seed", "--tenant", "msp-1"])
    assert second.exit_code == 0, second.output
    assert "already loaded for tenant msp-1: nothing changed" in second.output


def test_seed_requires_a_tenant() -> None:
    result = CliRunner().invoke(catalog_cli.app, ["seed"])
    assert result.exit_code == 2
