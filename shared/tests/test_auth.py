"""CONTRACT.md section 2: 401 for every bad token, 403 for a missing scope, pinned algorithms, JWKS rotation."""

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from vcio_shared.auth import Principal, TokenVerifier
from vcio_shared.errors import Unauthorized
from vcio_shared.settings import Settings
from vcio_shared.testing import TEST_SECRET, auth, running, token

NOW = dt.datetime.now(dt.UTC)


def _b64(obj: dict) -> str:  # type: ignore[type-arg]
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _claims(**extra: object) -> dict[str, object]:
    return {"sub": "u1", "tenant_id": "tenant-a", "scope": "catalog:read", "exp": int(NOW.timestamp()) + 600, **extra}


async def _status(client: httpx.AsyncClient, bearer: str | None) -> int:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return (await client.get("/v1/notes", headers=headers)).status_code


async def test_no_token_is_401_problem(notes: httpx.AsyncClient) -> None:
    r = await notes.get("/v1/notes")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Unauthorized"


async def test_malformed_token_is_401(notes: httpx.AsyncClient) -> None:
    assert await _status(notes, "not.a.jwt") == 401
    assert (await notes.get("/v1/notes", headers={"Authorization": "Basic abc"})).status_code == 401


async def test_bad_signature_is_401(notes: httpx.AsyncClient) -> None:
    forged = jwt.encode(_claims(), "another-secret-that-is-long-enough-000000", algorithm="HS256")
    assert await _status(notes, forged) == 401


async def test_alg_none_is_401(notes: httpx.AsyncClient) -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}."
    assert await _status(notes, unsigned) == 401


async def test_expired_token_is_401(notes: httpx.AsyncClient) -> None:
    expired = jwt.encode(_claims(exp=int(NOW.timestamp()) - 60), TEST_SECRET, algorithm="HS256")
    r = await notes.get("/v1/notes", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    assert r.json()["detail"] == "token expired"


async def test_token_without_exp_is_401(notes: httpx.AsyncClient) -> None:
    claims = _claims()
    del claims["exp"]
    assert await _status(notes, jwt.encode(claims, TEST_SECRET, algorithm="HS256")) == 401


async def test_token_without_tenant_is_401(notes: httpx.AsyncClient) -> None:
    claims = _claims()
    del claims["tenant_id"]
    assert await _status(notes, jwt.encode(claims, TEST_SECRET, algorithm="HS256")) == 401


async def test_hs512_is_refused_when_hs256_is_pinned(notes: httpx.AsyncClient) -> None:
    assert await _status(notes, jwt.encode(_claims(), TEST_SECRET, algorithm="HS512")) == 401


async def test_missing_scope_is_403(notes: httpx.AsyncClient) -> None:
    r = await notes.get("/v1/notes", headers=auth(scopes="catalog:write"))
    assert r.status_code == 403
    assert r.json()["detail"] == "this token lacks the 'catalog:read' scope"


async def test_write_scope_does_not_imply_read(notes: httpx.AsyncClient) -> None:
    assert (await notes.post("/v1/notes", json={"text": "x"}, headers=auth(scopes="catalog:read"))).status_code == 403
    assert (await notes.post("/v1/notes", json={"text": "x"}, headers=auth(scopes="catalog:write"))).status_code == 201


async def test_lists_show_nothing_of_another_tenant(notes: httpx.AsyncClient) -> None:
    await notes.post("/v1/notes", json={"text": "mine"}, headers=auth("tenant-a"))
    assert (await notes.get("/v1/notes", headers=auth("tenant-b"))).json() == {"items": [], "next_cursor": None}
    assert [n["text"] for n in (await notes.get("/v1/notes", headers=auth("tenant-a"))).json()["items"]] == ["mine"]


def test_issuer_and_audience_are_checked_when_configured() -> None:
    settings = Settings(
        service="catalog",
        database_url="postgresql://x/y",
        jwt_secret=TEST_SECRET,
        jwt_issuer="https://idp.example",
        jwt_audience="vcio",
    )
    verifier = TokenVerifier(settings)
    good = token(issuer="https://idp.example", audience="vcio")
    assert verifier.verify(good) == Principal(sub="tester", tenant_id="tenant-a", scopes=verifier.verify(good).scopes)
    for bad in (
        token(issuer="https://evil.example", audience="vcio"),
        token(issuer="https://idp.example"),
        token(audience="vcio"),
    ):
        with pytest.raises(Unauthorized):
            verifier.verify(bad)


def test_a_verified_token_is_remembered_until_it_expires() -> None:
    """The cache never outlives the token: exp (plus the 5 s leeway) still ends it, to the second."""
    verifier = TokenVerifier(Settings(service="catalog", database_url="postgresql://x/y", jwt_secret=TEST_SECRET))
    now = int(time.time())
    fresh = jwt.encode(_claims(exp=now + 600), TEST_SECRET, algorithm="HS256")
    assert verifier.verify(fresh) == Principal(sub="u1", tenant_id="tenant-a", scopes=frozenset({"catalog:read"}))
    assert verifier._verified[fresh][1] == now + 600 + 5
    assert verifier.verify(fresh) is verifier.verify(fresh)  # the same object: not decoded again

    ending = jwt.encode(_claims(exp=now - 3), TEST_SECRET, algorithm="HS256")  # expired, but inside the leeway
    verifier.verify(ending)
    assert verifier._verified[ending][1] == now + 2
    time.sleep(max(0.0, now + 2.05 - time.time()))
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(ending)
    assert ending not in verifier._verified

    forged = jwt.encode(_claims(), "another-secret-of-at-least-32-bytes!", algorithm="HS256")
    for _ in range(2):  # a failure is never remembered
        with pytest.raises(Unauthorized):
            verifier.verify(forged)
    assert forged not in verifier._verified


def test_settings_refuse_to_start_without_auth() -> None:
    with pytest.raises(ValueError, match="VCIO_JWT_SECRET or VCIO_JWT_JWKS_URL"):
        Settings(service="catalog", database_url="postgresql://x/y")


class _JWKS:
    """A fake identity provider (a third party): serves a key set that a test can rotate."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, rsa.RSAPrivateKey]] = []
        self.fetches = 0

    def add_key(self, kid: str) -> rsa.RSAPrivateKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keys.append((kid, key))
        return key

    def document(self) -> bytes:
        self.fetches += 1
        jwks = []
        for kid, key in self.keys:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
            jwks.append(jwk)
        return json.dumps({"keys": jwks}).encode()


@pytest.fixture
def idp() -> Iterator[tuple[_JWKS, str]]:
    state = _JWKS()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = state.document()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


def test_jwks_keys_verify_and_an_unknown_kid_refreshes_the_cache(idp: tuple[_JWKS, str]) -> None:
    state, url = idp
    first = state.add_key("k1")
    verifier = TokenVerifier(
        Settings(service="catalog", database_url="postgresql://x/y", jwt_jwks_url=url), jwks_cooldown=0
    )
    t1 = jwt.encode(_claims(), first, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(t1).tenant_id == "tenant-a"
    fetches = state.fetches
    second = state.add_key("k2")  # the provider rotates its keys
    t2 = jwt.encode(_claims(), second, algorithm="RS256", headers={"kid": "k2"})
    assert verifier.verify(t2).sub == "u1"
    assert state.fetches == fetches + 1


def test_jwks_mode_refuses_hs256_signed_with_the_public_key(idp: tuple[_JWKS, str]) -> None:
    """The classic HS/RS confusion: an HS256 token keyed with the (public) RSA key must not pass."""
    state, url = idp
    key = state.add_key("k1")
    verifier = TokenVerifier(Settings(service="catalog", database_url="postgresql://x/y", jwt_jwks_url=url))
    public_pem = key.public_key().public_bytes(
        encoding=__import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.PEM,
        format=__import__(
            "cryptography.hazmat.primitives.serialization", fromlist=["PublicFormat"]
        ).PublicFormat.SubjectPublicKeyInfo,
    )
    forged = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'k1'})}.{_b64(_claims())}"
    import hashlib
    import hmac

    sig = base64.urlsafe_b64encode(hmac.new(public_pem, forged.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    with pytest.raises(Unauthorized):
        verifier.verify(f"{forged}.{sig}")


async def test_a_token_never_appears_in_logs(
    make_notes_app: Callable[..., object], capsys: pytest.CaptureFixture[str]
) -> None:
    bearer = token()
    async with running(make_notes_app()) as client:  # type: ignore[arg-type]
        await client.get("/v1/notes", headers={"Authorization": f"Bearer {bearer}"})
        await client.get("/v1/notes", headers={"Authorization": f"Bearer {bearer}x"})
        await client.get("/v1/notes/%ff", headers={"Authorization": f"Bearer {bearer}"})
    out = capsys.readouterr()
    assert bearer[:40] not in out.out + out.err
    assert TEST_SECRET not in out.out + out.err
