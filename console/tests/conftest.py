"""The console on the real platform: every service as a process on throwaway servers (what `make run` starts),
and the console app in-process, calling them over HTTP with the signed-in user's token."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vcio_console.main import build_app
from vcio_console.settings import ConsoleSettings, load_console_settings
from vcio_shared.embedded import free_port, wait_for_port
from vcio_shared.settings import SERVICES
from vcio_shared.testing import TEST_SECRET, platform_environ

CHROMIUM = "/usr/bin/chromium"  # Debian's, as services/proposals/tests/client_page/test_browser.py launches it
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole platform as real processes on free ports (as tests/conftest.py starts it)."""
    from vcio_cli.dev import Platform

    data_dir: Path = tmp_path_factory.mktemp("platform")
    data_dir.chmod(0o755)
    environ = platform_environ(data_dir)
    platform = Platform(data_dir=data_dir, environ=environ, quiet=True)
    platform.start(tenant="console-dev")
    try:
        yield platform
    finally:
        platform.stop()


def console_settings(platform: Any, **overrides: object) -> ConsoleSettings:
    urls = {f"{s.upper()}_URL": platform.url(s) for s in SERVICES}
    values: dict[str, object] = {"jwt_secret": TEST_SECRET, "development": True, **overrides}
    return load_console_settings(urls, **values)


@pytest.fixture
async def console(platform: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The console app (development), reached in-process; it reaches the services over HTTP."""
    app = build_app(console_settings(platform))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test") as http,
    ):
        yield http


@pytest.fixture(scope="session")
def practice(platform: Any) -> Any:
    """The known practice of tenant console-practice (practice.py), made once for the session."""
    import asyncio

    from console.tests.practice import make_practice

    return asyncio.run(make_practice({s: platform.url(s) for s in SERVICES}, "console-practice"))


def signed_in(http: httpx.AsyncClient, tenant: str) -> httpx.AsyncClient:
    """`http` with the session cookie of a development token for `tenant` (what a sign-in link sets)."""
    from vcio_console.signin import COOKIE
    from vcio_shared.auth import issue_token

    http.cookies.set(COOKIE, issue_token(TEST_SECRET, tenant_id=tenant), domain="console.test")
    return http


@pytest.fixture(scope="session")
def console_server(platform: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The console as `vcio dev` would run it: its own uvicorn process, in development, on the platform."""
    port = free_port()
    env = {
        **os.environ,
        **{f"{s.upper()}_URL": platform.url(s) for s in SERVICES},
        "VCIO_JWT_SECRET": TEST_SECRET,
        "CONSOLE_DEVELOPMENT": "1",
    }
    log = (tmp_path_factory.mktemp("console") / "console.log").open("wb")
    command = [sys.executable, "-m", "uvicorn", "--factory", "vcio_console.main:build_app", "--port", str(port)]
    proc = subprocess.Popen([*command, "--host", "127.0.0.1"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, 30, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
        log.close()


@contextlib.asynccontextmanager
async def another_session(console: httpx.AsyncClient, tenant: str) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser on the same console app, signed in to `tenant`."""
    async with httpx.AsyncClient(transport=console._transport, base_url=str(console.base_url)) as other:
        yield signed_in(other, tenant)
