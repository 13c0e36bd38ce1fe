"""Where mail goes: `VCIO_SMTP_URL` parsed into aiosmtplib's connection options, and what an SMTP error means.

`smtp://user:pass@host:587` upgrades with STARTTLS when the server offers it; `smtps://user:pass@host:465` is
TLS from the first byte. Auth runs when a user is given. `?verify=false` skips certificate checks (a test
server), `?ca=/path.pem` trusts one more authority."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpSettings:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    validate_certs: bool = True
    cert_bundle: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 30.0) -> SmtpSettings:
        """Parse `VCIO_SMTP_URL`; a ValueError names what is wrong with it."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError(f"VCIO_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or '?'}://")
        if not parts.hostname:
            raise ValueError("VCIO_SMTP_URL has no host")
        query = parse_qs(parts.query)
        return cls(
            hostname=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            validate_certs=query.get("verify", ["true"])[0].lower() not in ("false", "0", "no"),
            cert_bundle=query.get("ca", [None])[0],
            timeout=timeout,
        )

    def client(self) -> aiosmtplib.SMTP:
        """A client; on `smtp://` STARTTLS runs when the server offers it (aiosmtplib's `start_tls=None`)."""
        options: dict[str, Any] = {
            "hostname": self.hostname,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "use_tls": self.use_tls,
            "start_tls": False if self.use_tls else None,
            "validate_certs": self.validate_certs,
            "cert_bundle": self.cert_bundle,
            "timeout": self.timeout,
        }
        return aiosmtplib.SMTP(**options)


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer to this message (its sender, recipients or data): sending it again cannot succeed.

    Anything else is transient: a 4xx, a refused or dropped connection, a timeout, and also a failed login or
    TLS handshake, which a fixed configuration cures (the mail waits for it rather than being dropped)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPHeloError):
        return False
    return isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 500


def describe(exc: BaseException) -> str:
    """The error as it is recorded on the row."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)[:1000]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"[:1000]
    return (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:1000]


def backoff(attempts: int, rng: random.Random, *, base_s: float = 30.0, cap_s: float = 3600.0) -> dt.timedelta:
    """The wait after the `attempts`-th failed try: 30 s doubling to an hour, times a jitter in [0.5, 1]
    so replicas and messages that failed together do not come back together."""
    ceiling = min(cap_s, base_s * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=ceiling * rng.uniform(0.5, 1.0))
