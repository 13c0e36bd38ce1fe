"""Webhook secrets: made here (`whsec_` + base64 of 32 random bytes), stored encrypted with VCIO_SECRETS_KEY."""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet

PREFIX = "whsec_"
SECRET_BYTES = 32  # the contract asks for at least 24


def new_secret() -> str:
    """A fresh `whsec_...` secret, shown once to the caller."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class Vault:
    """Encrypts and decrypts stored secrets (Fernet: AES-128-CBC with an HMAC, so a changed row fails loudly)."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()
