"""Service settings, read from the environment (CONTRACT.md section 1)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, model_validator

DEFAULT_PORTS = {"catalog": 8001, "proposals": 8002, "billing": 8003, "scheduler": 8004}
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
    public_base_url: str = "http://127.0.0.1:8002"
    data_dir: Path = Path(".vcio")
    max_body_bytes: int = 1_048_576
    relay_batch_size: int = 1000
    relay_poll_interval: float = 0.5  # seconds between looks at the outbox when no commit woke the relay
    relay_process: bool = False  # the outbox relay in a child process (vcio_shared.relay); vcio dev turns it on
    reader_pool_size: int = 24  # bare connections for the hot reads (db.reader_of), beside the ORM's pool
    stream_replicas: int = 1
    log_level: str = "INFO"

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


def load_settings(service: str, **overrides: object) -> Settings:
    """Read a service's settings from the environment; keyword overrides win (tests use them)."""
    env = os.environ
    prefix = service.upper()
    values: dict[str, object] = {
        "service": service,
        "database_url": env.get(f"{prefix}_DATABASE_URL", ""),
        "nats_url": env.get("NATS_URL", "nats://127.0.0.1:4222"),
        "port": int(env.get(f"{prefix}_PORT", DEFAULT_PORTS.get(service, 8000))),
        "jwt_secret": env.get("VCIO_JWT_SECRET") or None,
        "jwt_jwks_url": env.get("VCIO_JWT_JWKS_URL") or None,
        "jwt_issuer": env.get("VCIO_JWT_ISSUER") or None,
        "jwt_audience": env.get("VCIO_JWT_AUDIENCE") or None,
        "public_base_url": env.get("VCIO_PUBLIC_BASE_URL", f"http://127.0.0.1:{DEFAULT_PORTS['proposals']}"),
        "data_dir": Path(env.get("VCIO_DATA_DIR", ".vcio")),
        "log_level": env.get("VCIO_LOG_LEVEL", "INFO"),
        "stream_replicas": int(env.get("VCIO_STREAM_REPLICAS", "1")),
        "relay_process": env.get("VCIO_RELAY_PROCESS", "").lower() in ("1", "true", "yes"),
    }
    values.update(overrides)
    if not values["database_url"]:
        raise ValueError(f"{prefix}_DATABASE_URL is not set")
    return Settings.model_validate(values)
