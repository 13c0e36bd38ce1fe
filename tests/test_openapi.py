"""The four OpenAPI documents: date bounds on every date input, bearer security and problem-details errors."""

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI

from vcio_shared.schemas import DATE_PATTERN
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, auth, running

Schema = dict[str, Any]


def _dates(doc: Schema, schema: Schema, where: list[str], seen: frozenset[str]) -> Iterator[tuple[list[str], Schema]]:
    """Every `format: date` schema reachable from `schema`, with where it sits."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        seen, schema = seen | {name}, doc["components"]["schemas"][name]
    if schema.get("format") == "date":
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _dates(doc, sub, where, seen)
    for name, sub in schema.get("properties", {}).items():
        yield from _dates(doc, sub, [*where, name], seen)
    if isinstance(schema.get("items"), dict):
        yield from _dates(doc, schema["items"], [*where, "[]"], seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _dates(doc, schema["additionalProperties"], [*where, "*"], seen)


def _date_inputs(service: str, doc: Schema) -> Iterator[tuple[str, Schema]]:
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            label = f"{service} {method.upper()} {path}"
            for parameter in op.get("parameters", []):
                for where, schema in _dates(
                    doc, parameter["schema"], [parameter["in"], parameter["name"]], frozenset()
                ):
                    yield f"{label} {'.'.join(where)}", schema
            for content in op.get("requestBody", {}).get("content", {}).values():
                for where, schema in _dates(doc, content["schema"], ["body"], frozenset()):
                    yield f"{label} {'.'.join(where)}", schema


def test_every_date_input_of_every_service_carries_the_bounds(apps: dict[str, FastAPI]) -> None:
    found, unbounded = [], []
    for service, app in apps.items():
        for where, schema in _date_inputs(service, app.openapi()):
            found.append(where)
            bounds = (schema.get("pattern"), schema.get("formatMinimum"), schema.get("formatMaximum"))
            if bounds != (DATE_PATTERN, "1970-01-01", "2999-12-31"):
                unbounded.append(where)
    assert unbounded == []
    assert "billing GET /v1/metrics/movements query.to" in found
    assert "scheduler POST /v1/activities/{activity_id}/schedule body.date" in found
    assert "proposals POST /v1/proposals body.start_date" in found
    assert len(found) >= 23  # every date body field and query parameter of the four services was inspected


async def test_a_date_beyond_2999_is_422_naming_it_not_500(
    database_factory: Callable[[str], str], nats_url: str
) -> None:
    from billing.main import build_app

    settings = load_settings(
        "billing", database_url=database_factory("billing"), nats_url=nats_url, jwt_secret=TEST_SECRET
    )
    async with running(build_app(settings, run_background=False)) as client:
        r = await client.get("/v1/metrics/movements", params={"from": "2027-01-01", "to": "9999-12-31"}, headers=auth())
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"] == [
            {"loc": ["query", "to"], "msg": "Value error, date must be between 1970-01-01 and 2999-12-31"}
        ]
        r = await client.get("/v1/metrics/movements", params={"from": "1969-12-31", "to": "2027-01-01"}, headers=auth())
        assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["query", "from"])
        r = await client.post("/v1/billing-runs", json={"as_of": "3000-01-01"}, headers=auth())
        assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "as_of"])
        edge = {"from": "1970-01-01", "to": dt.date(2999, 12, 31).isoformat()}
        r = await client.get("/v1/metrics/movements", params=edge, headers=auth())
        assert r.status_code == 200  # both bounds are inside


PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
WITHOUT_BEARER = ("/healthz", "/readyz", "/metrics", "/p/", "/calendars/", "/s/")  # /s/: strategy's share links


def test_openapi_declares_bearer_security_and_problem_details(apps: dict[str, FastAPI]) -> None:
    operations, wrong = 0, []
    for service, app in apps.items():
        doc = app.openapi()
        assert doc["components"]["securitySchemes"] == {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
            }
        }
        problem = doc["components"]["schemas"]["ProblemDetails"]
        assert problem["required"] == ["type", "title", "status", "detail"]
        assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}
        assert problem["properties"]["errors"]["items"]["required"] == ["loc", "msg"]
        assert "HTTPValidationError" not in str(doc)
        for path, ops in doc["paths"].items():
            for method, op in ops.items():
                label = f"{service} {method.upper()} {path}"
                responses = op["responses"]
                if "422" in responses and responses["422"]["content"] != PROBLEM:
                    wrong.append(f"{label}: 422 is not problem details")
                if path.startswith("/v1/"):
                    operations += 1
                    if op.get("security") != [{"bearerAuth": []}]:
                        wrong.append(f"{label}: no bearer security")
                    expected = ["401", "403", "404"] + (["409"] if method in ("post", "put", "patch", "delete") else [])
                    for status in expected:
                        if responses.get(status, {}).get("content") != PROBLEM:
                            wrong.append(f"{label}: {status} is not problem details")
                else:
                    assert path.startswith(WITHOUT_BEARER), label
                    if "security" in op:
                        wrong.append(f"{label}: takes no bearer token, yet declares one")
    assert wrong == []
    assert operations >= 40
    proposals = apps["proposals"].openapi()["paths"]
    assert proposals["/p/{token}"]["get"]["responses"]["422"]["content"] == PROBLEM  # the token's own 422
    assert "security" not in apps["scheduler"].openapi()["paths"]["/calendars/{token}.ics"]["get"]
    assert "security" not in apps["strategy"].openapi()["paths"]["/s/{token}"]["get"]


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_no_schema_pattern_leans_on_regex_whitespace_classes(apps: dict[str, FastAPI]) -> None:
    """\\s means other characters to Python, to pydantic's regex engine and to JSON Schema's ECMAScript (U+0085):
    schemathesis generated an e-mail with U+0085 that the schema allowed and the validator refused."""
    leaning = sorted(
        {f"{service}: {p}" for service, app in apps.items() for p in _patterns(app.openapi()) if "\\s" in p.lower()}
    )
    assert leaning == []


def test_an_email_with_a_c1_control_is_refused_by_the_schema_and_the_validator(apps: dict[str, FastAPI]) -> None:
    import re

    from vcio_shared.schemas import EMAIL

    schema = apps["proposals"].openapi()["components"]["schemas"]["ClientCreate"]["properties"]["email"]
    for address in ("a\x85b@example.com", "a\ufeffb@example.com", "a\u2028b@example.com"):
        assert re.search(schema["pattern"], address) is None
        assert EMAIL.match(address) is None
    assert re.search(schema["pattern"], "ada@northwind.example") and EMAIL.match("ada@northwind.example")
