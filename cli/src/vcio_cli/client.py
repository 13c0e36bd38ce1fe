"""An HTTP client for CLI commands: base URLs from the environment, a token minted from VCIO_JWT_SECRET."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.table import Table

from vcio_shared.auth import SCOPES, issue_token
from vcio_shared.settings import DEFAULT_PORTS


def base_url(service: str) -> str:
    env = os.environ.get(f"{service.upper()}_URL")
    if env:
        return env.rstrip("/")
    port = os.environ.get(f"{service.upper()}_PORT", DEFAULT_PORTS[service])
    return f"http://127.0.0.1:{port}"


def token_for(tenant: str, scopes: str = " ".join(SCOPES)) -> str:
    explicit = os.environ.get("VCIO_TOKEN")
    if explicit:
        return explicit
    secret = os.environ.get("VCIO_JWT_SECRET") or dev_secret()
    return issue_token(secret, tenant_id=tenant, scopes=scopes, sub="vcio-cli")


def data_dir() -> Path:
    """VCIO_DATA_DIR (default `.vcio`) as an absolute path. A relative one is taken from the repository root when
    the CLI runs from a checkout (`make` installs it editable), so `vcio dev` and the commands that need its
    secret agree on it from any directory; an installed CLI takes it from the current directory."""
    path = Path(os.environ.get("VCIO_DATA_DIR") or ".vcio")
    if path.is_absolute():
        return path
    root = Path(__file__).resolve().parents[3]  # <root>/cli/src/vcio_cli/client.py
    checkout = (root / "Makefile").is_file() and (root / "cli" / "pyproject.toml").is_file()
    return ((root if checkout else Path.cwd()) / path).resolve()


def dev_secret() -> str:
    """The secret `vcio dev` generated and keeps under VCIO_DATA_DIR."""
    path = data_dir() / "jwt-secret"
    if not path.exists():
        raise typer.BadParameter("set VCIO_JWT_SECRET (or VCIO_TOKEN), or run `vcio dev` once to create a secret")
    return path.read_text().strip()


def client(service: str, tenant: str, timeout: float = 600.0) -> httpx.Client:
    return httpx.Client(
        base_url=base_url(service), timeout=timeout, headers={"Authorization": f"Bearer {token_for(tenant)}"}
    )


def fail_on_problem(response: httpx.Response) -> None:
    if response.status_code >= 400:
        try:
            body = response.json()
            detail = body.get("detail", response.text)
        except ValueError:
            detail = response.text
        typer.secho(f"{response.status_code}: {detail}", err=True, fg="red")
        raise typer.Exit(1)


Column = str | Callable[[Any], str]  # an item's field, or a function of the item


def items_table(items: Iterable[Mapping[str, Any]], columns: Mapping[str, Column]) -> Table:
    """A table of a page's items: a column per heading, showing the item's field of that name, or what the
    function makes of the item."""
    table = Table(*columns)
    for item in items:
        table.add_row(*(str(item[how]) if isinstance(how, str) else how(item) for how in columns.values()))
    return table
