"""Cross-service tests: they build the four real apps, or start the real processes as `make run` does."""

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from vcio_shared.settings import SERVICES, load_settings
from vcio_shared.testing import TEST_SECRET


def build(service: str, **overrides: object) -> FastAPI:
    """A service's real app (not started): enough to read its routes and OpenAPI document."""
    module = importlib.import_module(f"{service}.main")
    values = {"database_url": "postgresql://postgres@127.0.0.1:1/none", "jwt_secret": TEST_SECRET, **overrides}
    return module.build_app(load_settings(service, **values))  # type: ignore[no-any-return]


def v1_routes(app: FastAPI) -> list[tuple[str, set[str], set[str]]]:
    """(path, methods, scopes) of every /v1 route, through FastAPI's included-router wrappers."""
    from fastapi.routing import APIRoute

    def scopes_of(dependant: Any) -> set[str]:
        found = set()
        for dep in dependant.dependencies:
            if getattr(dep.call, "required_scope", None):
                found.add(dep.call.required_scope)
            found |= scopes_of(dep)
        return found

    def walk(routes: list[Any], prefix: str, inherited: set[str]) -> Iterator[tuple[str, set[str], set[str]]]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield prefix + route.path, set(route.methods), scopes_of(route.dependant) | inherited
            elif hasattr(route, "original_router"):
                ctx = route.include_context
                extra = {getattr(d.dependency, "required_scope", "") for d in ctx.dependencies} - {""}
                yield from walk(route.original_router.routes, prefix + ctx.prefix, inherited | extra)

    return [r for r in walk(app.routes, "", set()) if r[0].startswith("/v1")]


@pytest.fixture(scope="session")
def apps() -> dict[str, FastAPI]:
    return {s: build(s) for s in SERVICES}


def _platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from vcio_cli.dev import Platform
    from vcio_shared.testing import platform_environ

    data_dir: Path = tmp_path_factory.mktemp("platform")
    data_dir.chmod(0o755)
    platform = Platform(data_dir=data_dir, environ=platform_environ(data_dir), quiet=True)
    platform.start(tenant="tenant-a")
    try:
        yield platform
    finally:
        platform.stop()


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole platform as real processes on throwaway servers and free ports (what `make run` starts), shared
    by the tests of a worker: the fault tests leave it tens of thousands of events behind them."""
    yield from _platform(tmp_path_factory)


@pytest.fixture(scope="module")
def fresh_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A platform of the module's own, for tests that time the whole path of an event (integrations, which reads
    every stream, would first work through another module's backlog)."""
    yield from _platform(tmp_path_factory)
