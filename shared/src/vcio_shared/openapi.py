"""The OpenAPI document says what the API really does: bearer JWT on /v1, errors as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemDetails",
    "description": "RFC 9457 problem details: every error this API answers.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "The offending fields (422): where each is, and what is wrong with it.",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}
BEARER = "bearerAuth"
_DESCRIPTIONS = {
    401: "No bearer token, or an invalid or expired one",
    403: "The token lacks the scope this operation needs",
    404: "No such resource for this tenant",
    409: "The change conflicts with the resource's state or existing data",
    422: "The request is not valid: `errors` names each offending field",
}
_WRITES = {"post", "put", "patch", "delete"}


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }


def document(doc: dict[str, Any]) -> dict[str, Any]:
    """Rewrite FastAPI's generated document in place: the bearer scheme on every /v1 operation (the rest,
    /healthz, /metrics, the client's tokenised /p/... pages and calendar feeds, take no bearer token), 401/403/404
    on each of them and 409 on each write, and 422 as problem details instead of FastAPI's HTTPValidationError."""
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["ProblemDetails"] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A JWT with `sub`, `tenant_id` and `scope` claims (`vcio token` prints one in development).",
    }
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "head", "options", *_WRITES}:
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses or operation.get("parameters") or operation.get("requestBody"):
                responses["422"] = _problem(422)
            if path.startswith("/v1/"):
                operation["security"] = [{BEARER: []}]
                for status in (401, 403, 404):
                    responses[str(status)] = _problem(status)
                if method in _WRITES:
                    responses["409"] = _problem(409)
    return doc


def install_openapi(app: FastAPI) -> None:
    """Serve `document(...)` of FastAPI's generated schema, built once like FastAPI's own."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
