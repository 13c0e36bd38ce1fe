"""The `vcio` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from vcio_cli import billing, catalog, demo, mail, webhooks
from vcio_cli.client import client, fail_on_problem
from vcio_shared.auth import SCOPES, issue_token
from vcio_shared.settings import SERVICES

app = typer.Typer(help="vcio: catalog → proposal → agreement → delivery plan → invoice.", no_args_is_help=True)
dead_letters = typer.Typer(help="Events that could not be handled.", no_args_is_help=True)
app.add_typer(dead_letters, name="dead-letters")
app.add_typer(catalog.app, name="catalog")
app.add_typer(billing.app, name="billing")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(mail.app, name="mail")
if hasattr(catalog, "seed"):
    app.command("seed", help="Load the starter catalog for a tenant (three tiers; loading twice changes nothing).")(
        catalog.seed
    )
app.command("demo")(demo.demo)
console = Console(width=None if sys.stdout.isatty() else 200)  # piped output keeps ids whole


def _data_dir() -> Path:
    """VCIO_DATA_DIR as an absolute path: the same for `vcio dev` and `vcio token` from any directory."""
    from vcio_cli.client import data_dir

    return data_dir()


@app.command()
def dev(tenant: str = typer.Option("dev", help="Tenant of the printed development token.")) -> None:
    """Start the whole platform: embedded nats-server and PostgreSQL unless NATS_URL / *_DATABASE_URL are set."""
    from vcio_cli.dev import run

    run(_data_dir(), tenant)


@app.command()
def token(
    tenant: str = typer.Option(..., "--tenant", help="tenant_id claim"),
    scope: str = typer.Option(" ".join(SCOPES), "--scope", help="space-separated scopes"),
    sub: str = typer.Option("dev", help="sub claim"),
    ttl_hours: float = typer.Option(12.0, help="lifetime in hours"),
) -> None:
    """Print a development token signed with VCIO_JWT_SECRET (or the secret `vcio dev` keeps)."""
    import datetime as dt

    from vcio_cli.dev import NoDevSecret, dev_secret

    unknown = set(scope.split()) - set(SCOPES)
    if unknown:
        raise typer.BadParameter(f"unknown scopes: {' '.join(sorted(unknown))}", param_hint="--scope")
    try:
        secret = os.environ.get("VCIO_JWT_SECRET") or dev_secret(_data_dir(), create=False)
    except NoDevSecret as exc:
        typer.echo(f"vcio token: {exc}", err=True)
        raise typer.Exit(1) from None
    print(
        issue_token(
            secret,
            tenant_id=tenant,
            scopes=scope,
            sub=sub,
            ttl=dt.timedelta(hours=ttl_hours),
            issuer=os.environ.get("VCIO_JWT_ISSUER"),
            audience=os.environ.get("VCIO_JWT_AUDIENCE"),
        )
    )


def _service_option() -> Any:
    return typer.Option(..., "--service", help=f"one of {', '.join(SERVICES)}")


@dead_letters.command("list")
def dead_letters_list(
    service: str = _service_option(),
    tenant: str = typer.Option(..., "--tenant"),
    status: str = typer.Option("dead", help="dead or replayed"),
) -> None:
    """List dead-lettered events of a service."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}", param_hint="--service")
    with client(service, tenant) as http:
        r = http.get("/v1/dead-letters", params={"status": status, "limit": 200})
        fail_on_problem(r)
    table = Table("id", "consumer", "subject", "deliveries", "error", "created_at")
    for item in r.json()["items"]:
        table.add_row(
            item["id"],
            item["consumer"],
            item["subject"],
            str(item["deliveries"]),
            item["error"][:60],
            item["created_at"],
        )
    console.print(table)


@dead_letters.command("replay")
def dead_letters_replay(
    dead_letter_id: str, service: str = _service_option(), tenant: str = typer.Option(..., "--tenant")
) -> None:
    """Run a dead-lettered event's handler again."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}", param_hint="--service")
    with client(service, tenant) as http:
        r = http.post(f"/v1/dead-letters/{dead_letter_id}/replay")
        fail_on_problem(r)
    console.print(r.json())


if __name__ == "__main__":
    app()
