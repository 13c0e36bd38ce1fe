"""Schemathesis hooks for tests/test_fuzz.py (SCHEMATHESIS_HOOKS): the fuzzer behaves as a client would."""

import uuid
from typing import Any

import schemathesis


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """A fresh Idempotency-Key for each schema-valid request, as a client sends one per distinct request: the
    generator repeats short values ("0"), and a key reused with another body is rightly refused (422)."""
    headers = case.headers or {}
    meta = case.meta
    positive = meta is None or meta.generation.mode.is_positive
    if positive and "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = str(uuid.uuid4())
        case.headers = headers
