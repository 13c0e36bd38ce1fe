"""JWT authentication with scopes and the tenant context (CONTRACT.md section 2)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from vcio_shared.errors import Forbidden, Unauthorized
from vcio_shared.settings import Settings

SCOPES = (
    "catalog:read",
    "catalog:write",
    "proposals:read",
    "proposals:write",
    "billing:read",
    "billing:write",
    "scheduler:read",
    "scheduler:write",
    "integrations:read",
    "integrations:write",
    "strategy:read",
    "strategy:write",
)
ASYMMETRIC_ALGORITHMS = ["RS256", "ES256", "EdDSA"]
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
LEEWAY_S = 5  # clock skew allowed on exp/nbf/iat


@dataclass(frozen=True)
class Principal:
    """Who is calling, for which MSP, with what rights."""

    sub: str
    tenant_id: str
    scopes: frozenset[str]


class TokenVerifier:
    """Verifies bearer tokens with a pinned algorithm: HS256 with a secret, or JWKS keys (never both mixed)."""

    def __init__(self, settings: Settings, jwks_cooldown: float = 10.0) -> None:
        self.settings = settings
        self._jwks: jwt.PyJWKClient | None = None
        self._verified: dict[str, tuple[Principal, float]] = {}
        if settings.jwt_jwks_url:
            # PyJWKClient refetches the key set when it meets an unknown `kid`, at most once per cooldown, so
            # a flood of made-up kids cannot hammer the identity provider.
            self._jwks = jwt.PyJWKClient(
                settings.jwt_jwks_url, cache_keys=True, lifespan=300, cooldown_duration=jwks_cooldown
            )

    CACHE_SIZE = 4096

    def verify(self, token: str) -> Principal:
        """The token's principal. A token that verified once is remembered until it expires: an integration
        sends the same token on every call, and decoding it costs more than the rest of a cached read."""
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires = cached
            if time.time() < expires:
                return principal
            del self._verified[token]
        principal, expires = self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()  # a flood of distinct tokens costs a re-verification, never memory
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        options: Any = {"require": ["exp", "sub", "tenant_id"]}
        try:
            header = jwt.get_unverified_header(token)
            if self._jwks is not None:
                if header.get("alg") not in ASYMMETRIC_ALGORITHMS:
                    raise Unauthorized("token algorithm not accepted", headers=_CHALLENGE)
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ASYMMETRIC_ALGORITHMS
            else:
                if header.get("alg") != "HS256":
                    raise Unauthorized("token algorithm not accepted", headers=_CHALLENGE)
                key, algorithms = self.settings.jwt_secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                options=options,
                leeway=LEEWAY_S,
                issuer=self.settings.jwt_issuer,
                audience=self.settings.jwt_audience,
            )
        except Unauthorized:
            raise
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired", headers=_CHALLENGE) from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthorized("invalid token", headers=_CHALLENGE) from exc
        tenant, sub = claims.get("tenant_id"), claims.get("sub")
        if not isinstance(tenant, str) or not tenant or not isinstance(sub, str):
            raise Unauthorized("token lacks tenant_id or sub", headers=_CHALLENGE)
        scope = claims.get("scope", "")
        principal = Principal(
            sub=sub, tenant_id=tenant, scopes=frozenset(scope.split() if isinstance(scope, str) else ())
        )
        return principal, float(claims["exp"]) + LEEWAY_S


def _bearer(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def bearer_token(request: Request) -> str:
    token = _bearer(request.headers.get("authorization", ""))
    if token is None:
        raise Unauthorized("missing bearer token", headers=_CHALLENGE)
    return token


def bearer_principal(verifier: TokenVerifier, authorization: str, scope: str) -> Principal | None:
    """The caller of an `Authorization` header when it carries a valid token with `scope`; None otherwise, and
    `require(scope)` on the route then says why. For hot reads answered before the router (http.HotRead)."""
    token = _bearer(authorization)
    if token is None:
        return None
    try:
        principal = verifier.verify(token)
    except Exception:
        return None
    return principal if scope in principal.scopes else None


def require(scope: str) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency that authenticates the caller and demands one scope."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    async def dependency(request: Request) -> Principal:
        principal: Principal = request.app.state.runtime.verifier.verify(bearer_token(request))
        if scope not in principal.scopes:
            raise Forbidden(f"this token lacks the {scope!r} scope")
        request.state.principal = principal
        return principal

    dependency.required_scope = scope  # type: ignore[attr-defined]  # read by the route-scope test
    return dependency


def scoped(scope: str) -> Any:
    """`Annotated[Principal, Depends(require(scope))]`: the short form routes use."""
    return Annotated[Principal, Depends(require(scope))]


def issue_token(
    secret: str,
    *,
    tenant_id: str,
    scopes: str | list[str] = " ".join(SCOPES),
    sub: str = "dev",
    ttl: dt.timedelta = dt.timedelta(hours=12),
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """A development HS256 token (`vcio token`, tests)."""
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": sub,
        "tenant_id": tenant_id,
        "scope": scopes if isinstance(scopes, str) else " ".join(scopes),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
