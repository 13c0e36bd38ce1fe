"""The console's settings, read from the environment."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from pydantic import BaseModel, model_validator

from vcio_shared.settings import DEFAULT_PORTS, SERVICES, Settings

DEFAULT_PORT = 8000
API_SERVICES = SERVICES  # the console may call every service, and only through its public API


class ConsoleSettings(BaseModel):
    """Where the services are, how tokens are verified, and whether this is a development console."""

    port: int = DEFAULT_PORT
    development: bool = False  # CONSOLE_DEVELOPMENT=1: the session cookie is not Secure (plain http on localhost)
    service_urls: dict[str, str]
    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    console_secret: str | None = None  # CONSOLE_SECRET: keys the CSRF tokens; defaults to one from VCIO_JWT_SECRET
    timeout: float = 10.0

    @model_validator(mode="after")
    def _keys_are_configured(self) -> ConsoleSettings:
        self.verifier_settings()  # the services' own rule: a secret or a JWKS URL, a secret of 32+ characters
        if not self.console_secret and not self.jwt_secret:
            raise ValueError("set CONSOLE_SECRET (32+ characters): with VCIO_JWT_JWKS_URL nothing else keys CSRF")
        if self.console_secret is not None and len(self.console_secret) < 32:
            raise ValueError("CONSOLE_SECRET must be at least 32 characters")
        return self

    def verifier_settings(self) -> Settings:
        """The services' Settings, for vcio_shared.auth.TokenVerifier: the console verifies as they do."""
        return Settings(
            service="console",
            database_url="",  # the console has no database; TokenVerifier reads only the JWT fields
            jwt_secret=self.jwt_secret,
            jwt_jwks_url=self.jwt_jwks_url,
            jwt_issuer=self.jwt_issuer,
            jwt_audience=self.jwt_audience,
        )

    def key(self, purpose: str) -> bytes:
        """A key for one purpose (CSRF, sign-in codes), derived so that none can stand in for another."""
        root = (self.console_secret or self.jwt_secret or "").encode()
        return hmac.new(root, f"vcio-console:{purpose}".encode(), hashlib.sha256).digest()


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def load_console_settings(env: Mapping[str, str] | None = None, **overrides: object) -> ConsoleSettings:
    """Read the console's settings from the environment; keyword overrides win (tests use them)."""
    env = os.environ if env is None else env
    urls = {
        s: (env.get(f"{s.upper()}_URL") or f"http://127.0.0.1:{env.get(f'{s.upper()}_PORT', DEFAULT_PORTS[s])}")
        for s in API_SERVICES
    }
    values: dict[str, object] = {
        "port": int(env.get("CONSOLE_PORT", DEFAULT_PORT)),
        "development": _flag(env.get("CONSOLE_DEVELOPMENT")),
        "service_urls": {s: u.rstrip("/") for s, u in urls.items()},
        "jwt_secret": env.get("VCIO_JWT_SECRET") or None,
        "jwt_jwks_url": env.get("VCIO_JWT_JWKS_URL") or None,
        "jwt_issuer": env.get("VCIO_JWT_ISSUER") or None,
        "jwt_audience": env.get("VCIO_JWT_AUDIENCE") or None,
        "console_secret": env.get("CONSOLE_SECRET") or None,
    }
    values.update(overrides)
    return ConsoleSettings.model_validate(values)
