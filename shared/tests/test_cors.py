"""VCIO_CORS_ORIGINS (CONTRACT.md section 6): internal frontends call every service from a browser; off by default."""

import dataclasses
import importlib
import re
from collections.abc import Callable

import httpx
import pytest

from shared.tests import noteservice
from vcio_shared.http import HotRead
from vcio_shared.runtime import create_app
from vcio_shared.settings import SERVICES, load_settings, parse_cors_origins
from vcio_shared.testing import TEST_SECRET, auth, running

CONSOLE = "https://console.msp.example"
PREFLIGHT = {
    "Origin": CONSOLE,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
}


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


async def _hot_note(scope: object, headers: dict[bytes, bytes], match: re.Match[str]) -> bytes:
    return b'{"text": "hot"}'


HOT = HotRead(route="/v1/notes/hot", pattern=re.compile(r"/v1/notes/hot"), answer=_hot_note)


@pytest.fixture
def make_app(notes_db: str, nats_url: str) -> Callable[..., object]:
    def make(origins: str, **overrides: object) -> object:
        values = {"database_url": notes_db, "nats_url": nats_url, "jwt_secret": TEST_SECRET, **overrides}
        settings = load_settings("catalog", cors_origins=origins, **values)
        return create_app(dataclasses.replace(noteservice.SPEC, hot_reads=[HOT]), settings)

    return make


async def test_an_allowed_origin_gets_the_headers_and_its_preflight(make_app: Callable[..., object]) -> None:
    async with running(make_app(f"{CONSOLE}, http://localhost:5173")) as client:  # type: ignore[arg-type]
        r = await client.get("/v1/notes", headers={**auth(), "Origin": CONSOLE})
        assert r.status_code == 200
        assert cors_headers(r) == {
            "access-control-allow-origin": CONSOLE,
            "access-control-expose-headers": "Idempotency-Replayed, Retry-After",
        }
        assert "Origin" in r.headers["vary"]
        pre = await client.options("/v1/notes", headers=PREFLIGHT)
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == CONSOLE
        assert pre.headers["access-control-allow-methods"] == "GET, POST, PUT, PATCH, DELETE"
        assert pre.headers["access-control-max-age"] == "600"
        assert "access-control-allow-credentials" not in pre.headers  # bearer tokens, never cookies
        second = await client.get("/v1/notes", headers={**auth(), "Origin": "http://localhost:5173"})
        assert second.headers["access-control-allow-origin"] == "http://localhost:5173"


async def test_the_hot_read_path_and_platform_answers_carry_the_headers(make_app: Callable[..., object]) -> None:
    async with running(make_app(CONSOLE, max_body_bytes=1000)) as client:  # type: ignore[arg-type]
        hot = await client.get("/v1/notes/hot", headers={"Origin": CONSOLE})
        assert (hot.status_code, hot.content) == (200, b'{"text": "hot"}')
        assert hot.headers["access-control-allow-origin"] == CONSOLE
        pre = await client.options("/v1/notes/hot", headers={**PREFLIGHT, "Access-Control-Request-Method": "GET"})
        assert (pre.status_code, pre.headers["access-control-allow-origin"]) == (200, CONSOLE)
        big = await client.post("/v1/notes", json={"text": "x" * 2000}, headers={**auth(), "Origin": CONSOLE})
        assert (big.status_code, big.headers["access-control-allow-origin"]) == (413, CONSOLE)
        bad = await client.get("/v1/notes", headers={"Origin": CONSOLE})  # no token: the 401 is readable too
        assert (bad.status_code, bad.headers["access-control-allow-origin"]) == (401, CONSOLE)


async def test_another_origin_gets_no_allow_origin(make_app: Callable[..., object]) -> None:
    async with running(make_app(CONSOLE)) as client:  # type: ignore[arg-type]
        r = await client.get("/v1/notes", headers={**auth(), "Origin": "https://evil.example"})
        assert r.status_code == 200
        assert "access-control-allow-origin" not in r.headers
        hot = await client.get("/v1/notes/hot", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in hot.headers
        pre = await client.options("/v1/notes", headers={**PREFLIGHT, "Origin": "https://evil.example"})
        assert (pre.status_code, pre.text) == (400, "Disallowed CORS origin")
        assert "access-control-allow-origin" not in pre.headers
        sub = await client.options("/v1/notes", headers={**PREFLIGHT, "Origin": CONSOLE + ".evil.example"})
        assert sub.status_code == 400


async def test_unset_means_no_cors_headers_at_all(make_app: Callable[..., object]) -> None:
    async with running(make_app("")) as client:  # type: ignore[arg-type]
        r = await client.get("/v1/notes", headers={**auth(), "Origin": CONSOLE})
        assert r.status_code == 200
        assert cors_headers(r) == {}
        hot = await client.get("/v1/notes/hot", headers={"Origin": CONSOLE})
        assert (hot.status_code, cors_headers(hot)) == (200, {})
        pre = await client.options("/v1/notes", headers=PREFLIGHT)
        assert pre.status_code == 405
        assert cors_headers(pre) == {}


def test_the_environment_variable_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", "postgresql://localhost/catalog")
    monkeypatch.setenv("VCIO_JWT_SECRET", TEST_SECRET)
    monkeypatch.delenv("VCIO_CORS_ORIGINS", raising=False)
    assert load_settings("catalog").cors_origins == ()
    monkeypatch.setenv("VCIO_CORS_ORIGINS", " https://A.example ,http://localhost:5173,,http://[::1]:8080")
    assert load_settings("catalog").cors_origins == ("https://a.example", "http://localhost:5173", "http://[::1]:8080")
    monkeypatch.setenv("VCIO_CORS_ORIGINS", "https://a.example/")
    with pytest.raises(ValueError, match="'https://a.example/' is not an origin"):
        load_settings("catalog")


@pytest.mark.parametrize("value", ["*", "a.example", "https://a.example/app", "ftp://a.example", "https://a.example:"])
def test_what_is_not_an_origin_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        parse_cors_origins(value)


@pytest.mark.parametrize("service", SERVICES)
async def test_every_service_answers_cors_from_the_shared_factory(service: str) -> None:
    """Each service's own build_app (not started: /healthz and a preflight need neither database nor NATS)."""
    module = importlib.import_module(f"{service}.main")
    values = {"database_url": "postgresql://postgres@127.0.0.1:1/none", "jwt_secret": TEST_SECRET}
    for origins, expected in ((CONSOLE, CONSOLE), ("", None)):
        app = module.build_app(load_settings(service, cors_origins=origins, **values), run_background=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            health = await client.get("/healthz", headers={"Origin": CONSOLE})
            pre = await client.options("/healthz", headers=PREFLIGHT)
        assert health.status_code == 200
        assert health.headers.get("access-control-allow-origin") == expected
        assert (pre.status_code, pre.headers.get("access-control-allow-origin")) == (
            (200, CONSOLE) if expected else (405, None)
        )
