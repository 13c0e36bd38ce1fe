"""The platform under test: embedded PostgreSQL + nats-server + the four real services (vcio_cli.dev.Platform)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from vcio_cli.dev import Platform
from vcio_shared.auth import SCOPES, issue_token
from vcio_shared.settings import SERVICES, to_driver_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain_url(url: str) -> str:
    """A libpq URL psycopg/asyncpg accept directly."""
    return to_driver_url(url, "psycopg").replace("postgresql+psycopg", "postgresql")


@dataclass
class Stack:
    """Everything the bench started, so that it can stop exactly that."""

    tmp: Path
    platform: Platform
    secret: str
    keep: bool = False
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.platform.data_dir

    @property
    def env(self) -> dict[str, str]:
        return self.platform.env

    def url(self, service: str) -> str:
        return self.platform.url(service)

    def database_url(self, service: str) -> str:
        return plain_url(self.env[f"{service.upper()}_DATABASE_URL"])

    @property
    def nats_url(self) -> str:
        return self.env["NATS_URL"]

    def pid(self, service: str) -> int:
        return self.platform.services[service].pid

    def cpu_pids(self, *services: str) -> dict[str, tuple[int, bool]]:
        """(pid, with_children) of the given services (with their relay process), PostgreSQL (postmaster +
        backends) and nats-server."""
        out = {s: (self.pid(s), True) for s in services}
        if self.platform.postgres is not None and self.platform.postgres.proc is not None:
            out["postgres"] = (self.platform.postgres.proc.pid, True)
        if self.platform.nats is not None and getattr(self.platform.nats, "proc", None) is not None:
            out["nats-server"] = (self.platform.nats.proc.pid, False)  # type: ignore[union-attr]
        return out

    def token(self, tenant: str) -> str:
        if tenant not in self.tokens:
            self.tokens[tenant] = issue_token(self.secret, tenant_id=tenant, scopes=" ".join(SCOPES), sub="bench")
        return self.tokens[tenant]

    def headers(self, tenant: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(tenant)}"}

    def new_database(self, name: str) -> str:
        assert self.platform.postgres is not None
        return plain_url(self.platform.postgres.create_database(name))

    def stop(self) -> None:
        try:
            self.platform.stop()
        finally:
            if not self.keep:
                shutil.rmtree(self.tmp, ignore_errors=True)


def start(keep: bool = False) -> Stack:
    """Fresh servers on free ports; none of the caller's NATS_URL / *_DATABASE_URL is reused."""
    tmp = Path(tempfile.mkdtemp(prefix="vcio-bench-"))
    tmp.chmod(0o755)  # the embedded postgres runs as its own user and must reach its data directory
    secret = secrets.token_urlsafe(32)
    environ = {
        k: v
        for k, v in os.environ.items()
        if not (k == "NATS_URL" or k.endswith("_DATABASE_URL") or k.startswith("VCIO_JWT"))
    }
    environ.update(
        {
            "VCIO_JWT_SECRET": secret,
            "VCIO_NATS_PORT": str(free_port()),
            "VCIO_PG_PORT": str(free_port()),
            "VCIO_SMTP_PORT": str(free_port()),
            "CONSOLE_PORT": str(free_port()),
            **{f"{s.upper()}_PORT": str(free_port()) for s in SERVICES},
        }
    )
    platform = Platform(data_dir=tmp / "data", environ=environ, quiet=True)
    stack = Stack(tmp=tmp, platform=platform, secret=secret, keep=keep)
    try:
        platform.start("bench", wait_timeout=180)
    except BaseException:
        stack.stop()
        raise
    return stack
