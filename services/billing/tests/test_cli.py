"""`vcio billing run`: progress until done, then the run's summary; --dry-run writes nothing."""

import contextlib
import datetime as dt

import httpx
import pytest
from billing_helpers import seed
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from vcio_cli import billing as billing_cli
from vcio_cli.main import app as cli_app
from vcio_shared.testing import auth


@pytest.fixture
def cli(app, settings, monkeypatch):
    """The CLI talking to the real app (lifespan, database, NATS) through Starlette's TestClient."""
    with TestClient(app) as http:
        http.headers.update(auth("tenant-a"))

        @contextlib.contextmanager
        def client(service: str, tenant: str, timeout: float = 600.0) -> httpx.Client:
            assert (service, tenant) == ("billing", "tenant-a")
            yield http

        monkeypatch.setattr(billing_cli, "client", client)
        yield http


def invoke(*args: str):
    return CliRunner().invoke(cli_app, ["billing", *args], env={"COLUMNS": "200"})


def test_cli_dry_run_shows_what_would_be_billed_and_writes_nothing(cli, settings) -> None:
    seed(settings.database_url, 30)
    result = invoke("run", "--as-of", "2027-02-01", "--tenant", "tenant-a", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing written" in result.output
    assert "30/30" in result.output and "INV-2027-000001" in result.output
    assert cli.get("/v1/invoices").json()["items"] == []


def test_cli_run_follows_progress_to_completion(cli, settings) -> None:
    seed(settings.database_url, 30)
    result = invoke("run", "--as-of", str(dt.date(2027, 2, 1)), "--tenant", "tenant-a")
    assert result.exit_code == 0, result.output
    assert "completed" in result.output and "30/30" in result.output and "60" in result.output
    assert len(cli.get("/v1/invoices", params={"limit": 200}).json()["items"]) == 60


def test_cli_refuses_a_bad_date(cli) -> None:
    result = invoke("run", "--as-of", "2027-02-30", "--tenant", "tenant-a")
    assert result.exit_code != 0
