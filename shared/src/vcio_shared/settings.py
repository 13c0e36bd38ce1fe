"""Service settings, read from the environment (CONTRACT.md section 1)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, field_validator, model_validator

from vcio_shared.mail.message import DEFAULT_MAIL_FROM

DEFAULT_PORTS = {
    "catalog": 8001,
    "proposals": 8002,
    "billing": 8003,
    "scheduler": 8004,
    "integrations": 8005,
    "strategy": 8006,
}
SERVICES = tuple(DEFAULT_PORTS)


class Settings(BaseModel):
    """Everything a service reads from its environment."""

    service: str
    database_url: str
    nats_url: str = "nats://127.0.0.1:4222"
    port: int = 8000
    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    public_base_url: str = "http://127.0.0.1:8002"  # load_settings: the service's own address unless configured
    trusted_proxies: tuple[str, ...] = ()  # VCIO_TRUSTED_PROXIES: uvicorn trusts X-Forwarded-* only from these
    cors_origins: tuple[str, ...] = ()  # VCIO_CORS_ORIGINS: browser origins allowed to call the API; none = no CORS
    data_dir: Path = Path(".vcio")
    max_body_bytes: int = 1_048_576
    relay_batch_size: int = 1000
    relay_poll_interval: float = 0.5  # seconds between looks at the outbox when no commit woke the relay
    relay_process: bool = False  # the outbox relay in a child process (vcio_shared.relay); vcio dev turns it on
    reader_pool_size: int = 24  # bare connections for the hot reads (db.reader_of), beside the ORM's pool
    stream_replicas: int = 1
    log_level: str = "INFO"
    secrets_key: str | None = None  # VCIO_SECRETS_KEY: the Fernet key of stored secrets (integrations needs it)
    webhooks_allow_private: bool = False  # VCIO_WEBHOOKS_ALLOW_PRIVATE=1: http and private addresses (development)
    smtp_url: str | None = None  # VCIO_SMTP_URL: where mail goes (smtp:// STARTTLS, smtps:// TLS); unset = it waits
    mail_from: str = DEFAULT_MAIL_FROM  # VCIO_MAIL_FROM: the From address, and Message-ID domain

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies_are_addresses(cls, value: object) -> object:
        return parse_trusted_proxies(value) if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_are_origins(cls, value: object) -> object:
        return parse_cors_origins(value) if isinstance(value, str) else value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_parses(cls, value: str | None) -> str | None:
        if value:
            from vcio_shared.mail.smtp import SmtpSettings

            SmtpSettings.from_url(value)  # its ValueError names what is wrong
        return value or None

    @model_validator(mode="after")
    def _auth_is_configured(self) -> Settings:
        if not self.jwt_secret and not self.jwt_jwks_url:
            raise ValueError("set VCIO_JWT_SECRET or VCIO_JWT_JWKS_URL: a service refuses to start without auth")
        if self.jwt_secret is not None and len(self.jwt_secret) < 32:
            raise ValueError("VCIO_JWT_SECRET must be at least 32 characters (RFC 7518)")
        return self

    @property
    def sync_database_url(self) -> str:
        return to_driver_url(self.database_url, "psycopg")

    @property
    def async_database_url(self) -> str:
        return to_driver_url(self.database_url, "asyncpg")


def to_driver_url(url: str, driver: str) -> str:
    """Turn any `postgres://`/`postgresql[+driver]://` URL into one for the given SQLAlchemy driver."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith(("postgres", "postgresql")):
        raise ValueError(f"not a PostgreSQL URL: {scheme}://...")
    return f"postgresql+{driver}://{rest}"


def parse_trusted_proxies(value: str) -> tuple[str, ...]:
    """VCIO_TRUSTED_PROXIES: comma-separated IP addresses or CIDR networks; empty (the default) trusts none.

    Only a peer in this list may set the client address with X-Forwarded-For (rate limits and the address
    recorded on an acceptance depend on it). A host name or `*` is refused: trust must name addresses."""
    proxies = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:  # strict: uvicorn takes a network with host bits set (10.1.2.3/8) for a name that matches nothing
            proxies.append(str(ipaddress.ip_network(item) if "/" in item else ipaddress.ip_address(item)))
        except ValueError:
            raise ValueError(f"VCIO_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR network") from None
    return tuple(proxies)


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def parse_cors_origins(value: str) -> tuple[str, ...]:
    """VCIO_CORS_ORIGINS: comma-separated origins (`scheme://host[:port]`); empty (the default) allows none.

    An origin is compared as a string with the browser's `Origin` header, so a path, a trailing slash or `*`
    would match nothing or everything: each is refused rather than silently ignored."""
    origins = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if not _ORIGIN.fullmatch(item):
            raise ValueError(f"VCIO_CORS_ORIGINS: {item!r} is not an origin like https://app.example.com")
        origins.append(item.lower())
    return tuple(origins)


def uvicorn_proxy_args(trusted_proxies: str) -> list[str]:
    """uvicorn's options for VCIO_TRUSTED_PROXIES: forwarded headers from those peers only, or not at all.

    uvicorn's own default trusts X-Forwarded-For from 127.0.0.1, i.e. from any local process."""
    proxies = parse_trusted_proxies(trusted_proxies)
    if not proxies:
        return ["--no-proxy-headers"]
    return ["--proxy-headers", "--forwarded-allow-ips", ",".join(proxies)]


def public_base_url(service: str, port: int, env: Mapping[str, str] | None = None) -> str:
    """The base of the links a service hands out (proposal pages, calendar feeds).

    `<SERVICE>_PUBLIC_BASE_URL` first, then `VCIO_PUBLIC_BASE_URL` (one public host whose reverse proxy routes
    `/p/` to proposals and `/calendars/` to the scheduler), else the service's own address: each link then
    points at the service that answers it."""
    env = os.environ if env is None else env
    own = env.get(f"{service.upper()}_PUBLIC_BASE_URL") or env.get("VCIO_PUBLIC_BASE_URL")
    return own or f"http://127.0.0.1:{port}"


def load_settings(service: str, **overrides: object) -> Settings:
    """Read a service's settings from the environment; keyword overrides win (tests use them)."""
    env = os.environ
    prefix = service.upper()
    port = int(env.get(f"{prefix}_PORT", DEFAULT_PORTS.get(service, 8000)))
    values: dict[str, object] = {
        "service": service,
        "database_url": env.get(f"{prefix}_DATABASE_URL", ""),
        "nats_url": env.get("NATS_URL", "nats://127.0.0.1:4222"),
        "port": port,
        "jwt_secret": env.get("VCIO_JWT_SECRET") or None,
        "jwt_jwks_url": env.get("VCIO_JWT_JWKS_URL") or None,
        "jwt_issuer": env.get("VCIO_JWT_ISSUER") or None,
        "jwt_audience": env.get("VCIO_JWT_AUDIENCE") or None,
        "public_base_url": public_base_url(service, port, env),
        "trusted_proxies": env.get("VCIO_TRUSTED_PROXIES", ""),
        "cors_origins": env.get("VCIO_CORS_ORIGINS", ""),
        "data_dir": Path(env.get("VCIO_DATA_DIR", ".vcio")),
        "log_level": env.get("VCIO_LOG_LEVEL", "INFO"),
        "stream_replicas": int(env.get("VCIO_STREAM_REPLICAS", "1")),
        "relay_process": env.get("VCIO_RELAY_PROCESS", "").lower() in ("1", "true", "yes"),
        "secrets_key": env.get("VCIO_SECRETS_KEY") or None,
        "webhooks_allow_private": env.get("VCIO_WEBHOOKS_ALLOW_PRIVATE", "").lower() in ("1", "true", "yes"),
        "smtp_url": env.get("VCIO_SMTP_URL") or None,
        "mail_from": env.get("VCIO_MAIL_FROM") or DEFAULT_MAIL_FROM,
    }
    values.update(overrides)
    if not values["database_url"]:
        raise ValueError(f"{prefix}_DATABASE_URL is not set")
    return Settings.model_validate(values)
