"""What guards the client's page: its CSP (the headers are vcio_shared.public_pages'), double-submit CSRF."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PAGE_PREFIX = "/p/"
CSRF_COOKIE = "vcio_csrf"


def csp(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


# Beside the shared public-page headers (vcio_shared.public_pages): the client page opens nothing in another window
# and asks for no device.
EXTRA_HEADERS = (
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class Csrf:
    """Double-submit: the same value in a cookie and in the form; HMAC-bound to the proposal link."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _sig(self, nonce: str, token: str) -> str:
        return hmac.new(self.secret, f"{nonce}.{token}".encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, token: str) -> str:
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._sig(nonce, token)}"

    def valid_for(self, value: str | None, token: str) -> bool:
        if not value or value.count(".") != 1:
            return False
        nonce, sig = value.split(".")
        return hmac.compare_digest(sig, self._sig(nonce, token))

    def check(self, cookie: str | None, submitted: str | None, token: str) -> bool:
        return bool(cookie and submitted and hmac.compare_digest(cookie, submitted) and self.valid_for(cookie, token))
