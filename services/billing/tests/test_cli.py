"""`vcio billing run` against a real billing process: progress until done, then the run's summary."""

import signal

import psycopg
from billing_helpers import seed
from test_crash import free_port, start_billing
from typer.testing import CliRunner
from vcio_cli.main import app
from vcio_shared.settings import to_driver_url
from vcio_shared.testing import TEST_SECRET


def test_cli_billing_run_then_dry_run(database_factory, nats_url) -> None:
    database_url = database_factory("billing")
    seed(database_url, 300)
    port = free_port()
    proc = start_billing(database_url, nats_url, port)
    env = {"BILLING_URL": f"http://127.0.0.1:{port}", "VCIO_JWT_SECRET": TEST_SECRET, "COLUMNS": "200"}
    try:
        dry = CliRunner().invoke(
            app, ["billing", "run", "--as-of", "2027-02-01", "--tenant", "tenant-a", "--dry-run"], env=env
        )
        assert dry.exit_code == 0, dry.output
        assert "dry run: nothing written" in dry.output
        assert "300/300" in dry.output and "INV-2027-000001" in dry.output
        real = CliRunner().invoke(app, ["billing", "run", "--as-of", "2027-02-01", "--tenant", "tenant-a"], env=env)
        assert real.exit_code == 0, real.output
        assert "completed" in real.output and "300/300" in real.output
        bad = CliRunner().invoke(app, ["billing", "run", "--as-of", "2027-02-30", "--tenant", "tenant-a"], env=env)
        assert bad.exit_code != 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    plain = to_driver_url(database_url, "psycopg").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain) as conn:
        assert conn.execute("SELECT count(*) FROM invoices").fetchone()[0] == 600
