"""Sign-in: one-time development links, the session cookie, the signed-in user and their CSRF token.

The session is the bearer token itself. In development the console mints it when a one-time sign-in link is
opened and keeps it in an HttpOnly cookie; behind oauth2-proxy the proxy passes it on every request. Either
way it is verified on every request by vcio_shared.auth.TokenVerifier, exactly as the services verify it, so
the cookie needs no signature of its own and the console no session store."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from vcio_console.settings import ConsoleSettings
from vcio_shared.auth import SCOPES, Principal, TokenVerifier, issue_token

COOKIE = "vcio_console"
CODE_TTL = dt.timedelta(minutes=15)  # a sign-in link is good for this long, and once
SESSION_TTL = dt.timedelta(hours=12)  # the development token the link is exchanged for
CSRF_FIELD = "csrf_token"
_PURPOSE = "console-signin"


def signin_key(secret: str) -> bytes:
    """The key of sign-in codes: derived from VCIO_JWT_SECRET, so a code is never a bearer token, nor the
    reverse."""
    return hmac.new(secret.encode(), f"vcio-console:{_PURPOSE}".encode(), hashlib.sha256).digest()


def signin_code(secret: str, tenant: str, sub: str = "dev", ttl: dt.timedelta = CODE_TTL) -> str:
    """A one-time sign-in code for `tenant`: a short-lived JWT under the sign-in key, with its own id."""
    now = int(time.time())
    claims = {
        "purpose": _PURPOSE,
        "tenant_id": tenant,
        "sub": sub,
        "iat": now,
        "exp": now + int(ttl.total_seconds()),
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, signin_key(secret), algorithm="HS256")


def dev_link(secret: str, tenant: str, base_url: str = "http://127.0.0.1:8000", sub: str = "dev") -> str:
    """The development sign-in link that `vcio dev` prints: open it once, within 15 minutes, to sign in to
    `tenant` with every scope."""
    code = signin_code(secret, tenant, sub)
    return f"{base_url.rstrip('/')}/signin?{urllib.parse.urlencode({'code': code})}"


class CodeRefused(Exception):
    """A sign-in code that is malformed, forged, expired or already used."""


@dataclass
class SignIn:
    """Exchanges sign-in codes for development tokens, each code once (its id is kept until it expires)."""

    secret: str
    used: dict[str, float]

    def exchange(self, code: str) -> str:
        """The development token a valid, unused code stands for."""
        try:
            claims = jwt.decode(
                code, signin_key(self.secret), algorithms=["HS256"], options={"require": ["exp", "jti", "sub"]}
            )
        except jwt.PyJWTError as exc:
            raise CodeRefused("this sign-in link is not valid or has expired") from exc
        now = time.time()
        self.used = {jti: exp for jti, exp in self.used.items() if exp > now}
        if claims.get("purpose") != _PURPOSE or not isinstance(claims.get("tenant_id"), str):
            raise CodeRefused("this sign-in link is not valid or has expired")
        if claims["jti"] in self.used:
            raise CodeRefused("this sign-in link was used already: ask for a new one")
        self.used[claims["jti"]] = float(claims["exp"])
        return issue_token(self.secret, tenant_id=claims["tenant_id"], scopes=" ".join(SCOPES), sub=claims["sub"])


def cookie_options(settings: ConsoleSettings, token_exp: float) -> dict[str, Any]:
    """The session cookie's attributes: HttpOnly, SameSite=Lax, Secure outside development, and a Max-Age that
    ends no later than the token it holds."""
    return {
        "key": COOKIE,
        "max_age": max(0, int(token_exp - time.time())),
        "httponly": True,
        "samesite": "lax",
        "secure": not settings.development,
        "path": "/",
    }


class SignInRequired(Exception):
    """No valid session: a page redirects to /signin, an htmx request gets 401."""


@dataclass(frozen=True)
class User:
    """The signed-in user: their verified principal, the token the services are called with, and CSRF."""

    principal: Principal
    token: str
    csrf: str


def csrf_token(settings: ConsoleSettings, token: str) -> str:
    """The CSRF token of a session: an HMAC of its bearer token, which the page's origin alone can read."""
    return hmac.new(settings.key("csrf"), token.encode(), hashlib.sha256).hexdigest()


def _request_token(request: Request) -> str | None:
    """The bearer token: oauth2-proxy's Authorization or X-Forwarded-Access-Token header, else the cookie."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-forwarded-access-token") or request.cookies.get(COOKIE) or None


async def current_user(request: Request) -> User:
    """The signed-in user, verified with the services' JWT rules; SignInRequired otherwise."""
    token = _request_token(request)
    if token is None:
        raise SignInRequired
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = verifier.verify(token)
    except Exception as exc:  # Unauthorized: expired, forged, wrong algorithm, no tenant
        raise SignInRequired from exc
    return User(principal=principal, token=token, csrf=csrf_token(request.app.state.settings, token))


CurrentUser = Annotated[User, Depends(current_user)]


class CsrfRefused(Exception):
    """A POST without the session's CSRF token."""


async def checked_form(request: Request, user: CurrentUser) -> dict[str, str]:
    """A POSTed form whose CSRF token (field or X-CSRF-Token header, for htmx) is the session's; else 403."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    sent = form.pop(CSRF_FIELD, None) or request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(sent.encode(), user.csrf.encode()):
        raise CsrfRefused
    return form


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]
