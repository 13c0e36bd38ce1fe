"""The request base of this service: RequestModel (unknown fields → 422), and no NUL characters anywhere.

PostgreSQL cannot store U+0000 in text or JSONB; refusing it here keeps such input a 422 instead of a 5xx.
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator
from vcio_shared.schemas import RequestModel

NO_NUL = r"^[^\x00]*$"


def _check(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check(k)
            _check(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check(v)
    return value


class Body(RequestModel):
    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _check(value)
