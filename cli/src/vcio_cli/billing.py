"""`vcio billing ...` commands."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vcio_cli.client import Column, client, fail_on_problem, items_table

app = typer.Typer(help="billing commands", no_args_is_help=True)
console = Console()


def _summary(result: dict[str, Any]) -> None:
    suffix = " (dry run: nothing written)" if result.get("dry_run") else ""
    table = Table(title=f"billing run {result['id']}{suffix}")
    for column in ("status", "as of", "agreements", "invoices", "totals", "errors", "duration"):
        table.add_column(column)
    totals = ", ".join(f"{t['amount']} {t['currency']}" for t in result["totals"]) or "-"
    table.add_row(
        result["status"],
        result["as_of"],
        f"{result['agreements_processed']}/{result['agreements_total']}",
        str(result["invoices_created"]),
        totals,
        str(len(result["errors"])),
        f"{(result['duration_ms'] or 0) / 1000:.2f}s",
    )
    console.print(table)
    for error in result["errors"][:20]:
        console.print(f"[red]agreement {error['agreement_id']}[/red]: {error['error']}")


@app.command("run")
def run(
    as_of: str = typer.Option(..., "--as-of", help="bill every period that starts on or before this date (YYYY-MM-DD)"),
    tenant: str = typer.Option(..., "--tenant", help="the MSP (tenant_id) to bill"),
    dry_run: bool = typer.Option(False, "--dry-run", help="show what a run would make; write nothing"),
    poll: float = typer.Option(0.3, help="seconds between progress checks", hidden=True),
) -> None:
    """Run billing for a tenant as of a date, with a progress bar."""
    try:
        dt.date.fromisoformat(as_of)
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--as-of") from exc
    with client("billing", tenant) as http:
        if dry_run:
            r = http.post("/v1/billing-runs", json={"as_of": as_of, "dry_run": True})
            fail_on_problem(r)
            result = r.json()
            _summary(result)
            for inv in result["invoices"][:50]:
                console.print(
                    f"  {inv['number'] or '(draft)'}  {inv['period_start']} – {inv['period_end']}  "
                    f"{inv['total']} {inv['currency']}"
                )
            if len(result["invoices"]) > 50:
                console.print(f"  … and {len(result['invoices']) - 50} more")
            return
        r = http.post("/v1/billing-runs", json={"as_of": as_of, "background": True})
        fail_on_problem(r)
        result = r.json()
        with Progress(
            TextColumn("billing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[made]}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("run", total=max(result["agreements_total"], 1), made="0 invoices")
            while result["status"] == "running":
                time.sleep(poll)
                r = http.get(f"/v1/billing-runs/{result['id']}")
                fail_on_problem(r)
                result = r.json()
                progress.update(
                    task, completed=result["agreements_processed"], made=f"{result['invoices_created']} invoices"
                )
            progress.update(task, completed=max(result["agreements_total"], 1))
        _summary(result)
        if result["status"] != "completed":
            raise typer.Exit(1)


@app.command("runs")
def runs(tenant: str = typer.Option(..., "--tenant")) -> None:
    """List a tenant's billing runs."""
    with client("billing", tenant) as http:
        r = http.get("/v1/billing-runs", params={"limit": 50})
        fail_on_problem(r)
    columns: dict[str, Column] = {"id": "id", "as of": "as_of", "status": "status", "invoices": "invoices_created"}
    columns["duration"] = lambda item: f"{(item['duration_ms'] or 0) / 1000:.2f}s"
    console.print(items_table(r.json()["items"], columns))
