"""Base request/response models and the list envelope (CONTRACT.md section 3)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from vcio_shared import money
from vcio_shared.errors import Unprocessable

T = TypeVar("T")

# The characters a pattern's "no space" class leaves out: controls (C0, DEL, C1) and Unicode spaces, listed
# rather than written \s or \S, because Python, pydantic's regex engine and the ECMAScript regexes of JSON Schema
# disagree on what \s holds (U+0085, U+FEFF): a schema would then admit what the validator refuses.
SPACE_OR_CONTROL = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

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


NO_NUL = r"^[^\x00]*$"
"""The pattern of a free-text query parameter: PostgreSQL cannot store or compare text holding NUL."""


# One e-mail address as mail can carry it: no display name, no list, no quotes, no space or control character.
EMAIL = re.compile(
    rf"^[^@<>\"',;{SPACE_OR_CONTROL}]{{1,64}}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value


Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "maxLength": 254, "pattern": EMAIL.pattern}),
]


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

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The schema states the two rules above for free text: no NUL, and (text being stripped first) a
        required text has a character that is not whitespace."""
        json_schema = handler(core_schema)
        for prop in handler.resolve_ref_schema(json_schema).get("properties", {}).values():
            for branch in [prop, *prop.get("anyOf", [])]:
                _text_pattern(branch)
        return json_schema


def _text_pattern(schema: dict[str, Any]) -> None:
    if schema.get("type") != "string" or {"pattern", "enum", "const", "format"} & schema.keys():
        return
    not_blank = rf"^[^\x00]*[^{SPACE_OR_CONTROL}][^\x00]*$"
    schema["pattern"] = not_blank if schema.get("minLength", 0) >= 1 else NO_NUL


def not_null(*names: str) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` of a PATCH body whose fields `names` (all when none is named) may be left out but not set
    to null: the schema drops the `null` branch pydantic writes for `X | None = None`, as the service refuses it."""

    def extra(schema: dict[str, Any]) -> None:
        for name, prop in schema.get("properties", {}).items():
            if not names or name in names:
                _drop_null(prop)

    return extra


def _drop_null(prop: dict[str, Any]) -> None:
    branches = prop.get("anyOf")
    if branches and {"type": "null"} in branches:
        rest = [b for b in branches if b != {"type": "null"}]
        del prop["anyOf"]
        if len(rest) == 1:
            prop.update(rest[0])
        else:
            prop["anyOf"] = rest


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CatalogActivityOut(ResponseModel):
    """An activity of a package version, as catalog answers it and as proposals answers its copy of it."""

    name: str
    category: str
    track: str
    billing_mode: str
    cadence: str
    role: str
    effort_hours: str
    deliverable: str | None = None


class Page(BaseModel, Generic[T]):
    """`{"items": [...], "next_cursor": "..." | null}`."""

    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    limit: int
    after: uuid.UUID | None


# An instant the API takes: with a UTC offset (RFC 3339), in the same years as dates.
DATETIME_PATTERN = (
    r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


def _instant_in_range(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a UTC offset (RFC 3339)")
    if not DATE_MIN.year <= value.year <= DATE_MAX.year:
        raise ValueError(f"must be between {DATE_MIN.year} and {DATE_MAX.year}")
    return value


DateTime = Annotated[
    dt.datetime,
    AfterValidator(_instant_in_range),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}),
]
"""An aware datetime in DATE_MIN..DATE_MAX's years: a naive one or one beyond them is a 422."""


def _currency(value: str) -> str:
    if value not in money.CURRENCY_DIGITS:
        raise ValueError(f"unknown ISO 4217 currency {value!r}")
    return value


Currency = Annotated[
    str, AfterValidator(_currency), WithJsonSchema({"type": "string", "enum": sorted(money.CURRENCY_DIGITS)})
]
"""An ISO 4217 code the platform knows the minor digits of; OpenAPI lists them."""


@functools.cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _time_zone(value: str) -> str:
    if value not in time_zones():
        raise ValueError('not an IANA time zone (e.g. "America/New_York")')
    return value


TimeZone = Annotated[str, AfterValidator(_time_zone), WithJsonSchema({"type": "string", "enum": list(time_zones())})]
"""An IANA time zone name from the system's tz database; OpenAPI lists them."""


def decimal_text(pattern: str, description: str) -> Any:
    """The JSON schema of a bounded decimal the API takes: a string the pattern bounds (JSON numbers are also
    taken, but a float cannot say "two decimals" exactly, so the schema documents the string form)."""
    return WithJsonSchema({"type": "string", "pattern": pattern, "description": description})


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
