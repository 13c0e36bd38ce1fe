"""Base request/response models and the list envelope (CONTRACT.md section 3)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema, field_validator

from vcio_shared.errors import Unprocessable

T = TypeVar("T")

# Every date the API takes lies in these bounds (README): beyond them PostgreSQL and Python's date arithmetic
# (year 10000) fail, and no MSP plans a term in 1900 or 3000.
DATE_MIN = dt.date(1970, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)
# The bounds as a JSON schema can say them: a pattern for years 1970-2999 (with `format: date` for the
# calendar), and the bounds themselves for readers (`formatMinimum`/`formatMaximum`, JSON Schema's vocabulary).
DATE_PATTERN = r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DATE_JSON_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "date",
    "pattern": DATE_PATTERN,
    "formatMinimum": DATE_MIN.isoformat(),
    "formatMaximum": DATE_MAX.isoformat(),
}


def _date_in_range(value: dt.date) -> dt.date:
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValueError(f"date must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}")
    return value


Date = Annotated[dt.date, AfterValidator(_date_in_range), WithJsonSchema(DATE_JSON_SCHEMA)]
"""The one date type of every request body field and query parameter: outside DATE_MIN..DATE_MAX is a 422."""


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class RequestModel(BaseModel):
    """Every request body refuses unknown fields and NUL characters (422): PostgreSQL text cannot hold NUL."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: object) -> object:
        if _has_nul(value):  # the error names the field, like every other 422
            raise ValueError("text must not contain NUL characters")
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """`{"items": [...], "next_cursor": "..." | null}`."""

    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    limit: int
    after: uuid.UUID | None


# A cursor is the last id's 16 bytes in unpadded base64url: 22 characters (empty means the first page).
CURSOR_PATTERN = r"^([A-Za-z0-9_-]{22})?$"


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable.field(["query", "cursor"], "invalid cursor") from exc


async def page_params(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


PageDep = Annotated[PageParams, Depends(page_params)]


def page_of(items: list[T], limit: int, id_of: object = None) -> Page[T]:
    """Items were fetched with limit + 1 rows, ordered by id; the extra row means there is a next page."""
    has_more = len(items) > limit
    items = items[:limit]
    next_cursor = None
    if has_more and items:
        last = items[-1]
        last_id = id_of(last) if callable(id_of) else last.id  # type: ignore[attr-defined]
        next_cursor = encode_cursor(last_id if isinstance(last_id, uuid.UUID) else uuid.UUID(str(last_id)))
    return Page(items=items, next_cursor=next_cursor)
