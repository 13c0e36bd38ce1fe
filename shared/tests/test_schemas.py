"""The shared request types: their bounds hold, and their JSON schemas state what they refuse."""

import re

import pytest
from pydantic import ValidationError

from vcio_shared.schemas import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    Currency,
    Date,
    DateTime,
    RequestModel,
    TimeZone,
    _text_pattern,
    not_null,
)


class Body(RequestModel):
    day: Date | None = None
    at: DateTime | None = None
    currency: Currency | None = None
    zone: TimeZone | None = None
    name: str = "x"
    note: str | None = None


class Patch(RequestModel):
    model_config = {"json_schema_extra": not_null("name")}
    name: str | None = None
    note: str | None = None


@pytest.mark.parametrize(
    ("field", "value", "loc_ok"),
    [
        ("day", "1970-01-01", True),
        ("day", "2999-12-31", True),
        ("day", "1969-12-31", False),
        ("day", "3000-01-01", False),
        ("day", "9999-12-31", False),
        ("at", "2027-01-04T03:00:00Z", True),
        ("at", "2027-01-04T03:00:00", False),  # no offset
        ("at", "9999-12-31T23:59:59+00:00", False),
        ("currency", "JPY", True),
        ("currency", "000", False),
        ("zone", "America/New_York", True),
        ("zone", "Mars/Olympus", False),
    ],
)
def test_shared_types_take_their_range_and_refuse_the_rest(field: str, value: str, loc_ok: bool) -> None:
    if loc_ok:
        assert getattr(Body.model_validate({field: value}), field) is not None
    else:
        with pytest.raises(ValidationError) as caught:
            Body.model_validate({field: value})
        assert [e["loc"] for e in caught.value.errors()] == [(field,)]


def test_the_json_schema_states_the_rules() -> None:
    props = Body.model_json_schema()["properties"]
    day = props["day"]["anyOf"][0]
    assert (day["format"], day["pattern"], day["formatMinimum"], day["formatMaximum"]) == (
        "date",
        DATE_PATTERN,
        "1970-01-01",
        "2999-12-31",
    )
    assert re.fullmatch(DATE_PATTERN, "2999-12-31") and not re.fullmatch(DATE_PATTERN, "3000-01-01")
    assert not re.fullmatch(DATE_PATTERN, "1969-12-31")
    assert props["at"]["anyOf"][0]["pattern"] == DATETIME_PATTERN
    assert "JPY" in props["currency"]["anyOf"][0]["enum"] and "000" not in props["currency"]["anyOf"][0]["enum"]
    assert "America/New_York" in props["zone"]["anyOf"][0]["enum"]
    # Free text: no NUL (refused by RequestModel), and a required text is not blank once stripped.
    assert props["note"]["anyOf"][0]["pattern"] == r"^[^\x00]*$"
    patch = Patch.model_json_schema()["properties"]
    assert "anyOf" not in patch["name"] and patch["name"]["type"] == "string"  # null refused: not offered
    assert {"type": "null"} in patch["note"]["anyOf"]


def test_text_pattern_takes_what_a_stripped_required_text_accepts() -> None:
    schema = {"type": "string", "minLength": 1}
    _text_pattern(schema)
    for text, ok in (("a", True), ("  a ", True), ("   ", False), ("a\x00", False)):
        assert bool(re.search(schema["pattern"], text)) is ok, text
