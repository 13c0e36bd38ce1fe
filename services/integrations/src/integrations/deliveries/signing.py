"""Standard Webhooks headers, signed by the `standardwebhooks` package itself (no HMAC written here)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from standardwebhooks import Webhook


def signature(secrets: Sequence[str], msg_id: str, at: dt.datetime, body: bytes) -> str:
    """`v1,<base64>` per secret, space-separated. `Webhook.sign` reads its datetime as UTC whatever its zone
    (it replaces the tzinfo), so `at` is converted to UTC first: an aware non-UTC time would sign the wrong
    second. A naive time is refused rather than guessed."""
    if at.tzinfo is None:
        raise ValueError("a webhook is signed at an aware time")
    utc = at.astimezone(dt.UTC)
    text = body.decode()
    return " ".join(Webhook(secret).sign(msg_id, utc, text) for secret in secrets)


def headers(secrets: Sequence[str], msg_id: str, at: dt.datetime, body: bytes) -> dict[str, str]:
    """The headers of one attempt: webhook-id (the CloudEvent id), webhook-timestamp, webhook-signature."""
    return {
        "content-type": "application/json",
        "user-agent": "vcio-webhooks/1.0",
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(at.timestamp())),
        "webhook-signature": signature(secrets, msg_id, at, body),
    }
