"""`vcio catalog ...` commands (and `vcio seed`)."""

from __future__ import annotations

import typer

from vcio_cli.client import client, fail_on_problem

app = typer.Typer(help="catalog commands", no_args_is_help=True)


@app.callback()
def catalog() -> None:
    """Catalog commands (a callback keeps `seed` a subcommand even while it is the only one)."""


def seed(
    tenant: str = typer.Option(..., "--tenant", help="the MSP (tenant id) to load the starter catalog for"),
) -> None:
    """Load the starter catalog (three published vCIO tiers) for a tenant. Running it again changes nothing."""
    with client("catalog", tenant) as http:
        response = http.post("/v1/starter-catalog")
    fail_on_problem(response)
    body = response.json()
    for package in body["packages"]:
        typer.echo(
            f"{package['name']:<16} {package['tier'] or '-':<10} {package['monthly_price']:>10} "
            f"{package['currency']}/month  {package['term_months']} months  "
            f"{len(package['activities'])} activities  v{package['version']} {package['status']}  "
            f"{package['id']}"
        )
    created = body["created"]
    if created:
        typer.echo(f"loaded {created} starter package{'s' if created != 1 else ''} for tenant {tenant}")
    else:
        typer.echo(f"the starter catalog was already loaded for tenant {tenant}: nothing changed")


app.command("seed")(seed)
