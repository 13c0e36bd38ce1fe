"""Pytest fixtures: a throwaway PostgreSQL and nats-server on free ports, a fresh database per test.

`TEST_DATABASE_URL` (a superuser URL) and `TEST_NATS_URL` point the suite at existing servers instead.
Enable with `pytest_plugins = ["vcio_shared.testing"]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import psycopg
import pytest
from fastapi import FastAPI

from vcio_shared.auth import SCOPES, issue_token
from vcio_shared.embedded import NatsServer, Postgres, free_port
from vcio_shared.migrations import upgrade
from vcio_shared.settings import SERVICES

TEST_SECRET = "test-secret-for-the-vcio-suite-only-0123456789"


def platform_environ(data_dir: Path) -> dict[str, str]:
    """The environment of a whole platform started by a test (`vcio_cli.dev.Platform(environ=...)`): this process's
    own, less any server it names, with the test secret and every port free (services, console, nats-server,
    PostgreSQL, the mail sink), so that platforms started side by side never race for one."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "NATS_URL"}
    ports = [f"{s.upper()}_PORT" for s in (*SERVICES, "console")] + ["VCIO_NATS_PORT", "VCIO_PG_PORT", "VCIO_SMTP_PORT"]
    env.update({name: str(free_port()) for name in ports})
    env.update({"VCIO_JWT_SECRET": TEST_SECRET, "VCIO_DATA_DIR": str(data_dir)})
    return env


class PgServer:
    """An existing or throwaway server on which tests create databases."""

    def __init__(self, admin_url: str, server: Postgres | None = None) -> None:
        self.admin_url = admin_url
        self.server = server
        self._templates: set[str] = set()

    def _url(self, database: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{database}"

    def _exec(self, sql: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def template_for(self, package: str) -> str:
        """A migrated template database per service package, built once per session."""
        name = f"tmpl_{package}_{os.getpid()}"
        if name not in self._templates:
            self._exec(f'DROP DATABASE IF EXISTS "{name}"')
            self._exec(f'CREATE DATABASE "{name}"')
            upgrade(package, self._url(name))
            self._templates.add(name)
        return name

    def empty_database(self, prefix: str) -> str:
        """A new, empty database (no migrations): for tests that build or migrate their own schema."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self._exec(f'CREATE DATABASE "{name}"')
        return self._url(name)

    def fresh_database(self, package: str) -> str:
        """A new database cloned from the migrated template: each test starts empty."""
        template = self.template_for(package)
        name = f"t_{package}_{uuid.uuid4().hex[:12]}"
        self._exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self._url(name)

    def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        with contextlib.suppress(Exception):
            self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield PgServer(url)
        return
    with tempfile.TemporaryDirectory(prefix="vcio-pg-") as tmp:
        os.chmod(tmp, 0o755)
        server = Postgres(Path(tmp) / "data").start()
        try:
            yield PgServer(server.url, server)
        finally:
            server.stop()


@pytest.fixture(scope="session")
def nats_server_url() -> Iterator[str]:
    url = os.environ.get("TEST_NATS_URL")
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="vcio-nats-") as tmp:
        server = NatsServer(Path(tmp) / "js").start()
        try:
            yield server.url
        finally:
            server.stop()


async def _delete_streams(url: str) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for name in [s.config.name for s in await js.streams_info() if s.config.name]:
            await js.delete_stream(name)
    finally:
        await nc.close()


async def add_streams(url: str, streams: dict[str, str]) -> None:
    """Streams another service owns (it is not running in the test): {name: subject prefix}, e.g. {"BILLING":
    "billing"} for `vcio.billing.>`. A stream just deleted under the same name (`nats_url` deletes every stream
    between tests) can make nats-server answer "error creating store for stream" (10049) while its old store is
    still being removed: that one is tried again for up to 5 s."""
    from nats.js.api import StreamConfig
    from nats.js.errors import BadRequestError, ServerError

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for name, prefix in streams.items():
            config = StreamConfig(name=name, subjects=[f"vcio.{prefix}.>"], duplicate_window=120)
            for attempt in range(50):
                try:
                    await js.add_stream(config)
                    break
                except BadRequestError:
                    break  # it exists already
                except ServerError as exc:
                    if exc.err_code != 10049 or attempt == 49:
                        raise
                    await asyncio.sleep(0.1)
    finally:
        await nc.close()


@pytest.fixture
def nats_url(nats_server_url: str) -> str:
    """The test's bus, with no stream left over from another test."""
    asyncio.run(_delete_streams(nats_server_url))
    return nats_server_url


@pytest.fixture
def database_factory(pg_server: PgServer) -> Iterator[Callable[[str], str]]:
    """`database_factory("catalog")` gives the URL of a fresh, migrated database for that service."""
    created: list[str] = []

    def make(package: str) -> str:
        url = pg_server.fresh_database(package)
        created.append(url)
        return url

    yield make
    for url in created:
        pg_server.drop(url)


def token(
    tenant_id: str = "tenant-a", scopes: str | list[str] = " ".join(SCOPES), sub: str = "tester", **kwargs: Any
) -> str:
    return issue_token(TEST_SECRET, tenant_id=tenant_id, scopes=scopes, sub=sub, **kwargs)


def auth(
    tenant_id: str = "tenant-a", scopes: str | list[str] = " ".join(SCOPES), sub: str = "tester"
) -> dict[str, str]:
    """Headers with a bearer token for a tenant."""
    return {"Authorization": f"Bearer {token(tenant_id, scopes, sub)}"}


@contextlib.asynccontextmanager
async def running(app: FastAPI, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (relay, consumers) and give an in-process client for it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll an async or sync check until it returns a truthy value (cross-process effects only)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
