"""RFC 9457 problem details, and the domain errors that carry their own HTTP status."""

from __future__ import annotations

from typing import Any, TypeVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger("vcio.errors")
PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    410: "Gone",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ProblemError(Exception):
    """A domain error that is answered as problem details with its own status."""

    status = 400
    type_slug = "bad-request"

    def __init__(
        self, detail: str, *, errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers

    def __init_subclass__(cls, *, status: int | None = None, slug: str | None = None) -> None:
        """`class NotFound(ProblemError, status=404, slug="not-found")`: a kind of error is its status and slug."""
        super().__init_subclass__()
        cls.status = status or cls.status
        cls.type_slug = slug or cls.type_slug


class NotFound(ProblemError, status=404, slug="not-found"): ...


_T = TypeVar("_T")


def found(row: _T | None, detail: str) -> _T:
    """`row`, or a 404 saying `detail` when there is none: how a read by id answers a missing row."""
    if row is None:
        raise NotFound(detail)
    return row


class Conflict(ProblemError, status=409, slug="conflict"): ...


class Gone(ProblemError, status=410, slug="gone"): ...


class Unauthorized(ProblemError, status=401, slug="unauthorized"): ...


class Forbidden(ProblemError, status=403, slug="forbidden"): ...


class TooManyRequests(ProblemError, status=429, slug="too-many-requests"): ...


class Unavailable(ProblemError, status=503, slug="service-unavailable"):
    """PostgreSQL (or another dependency) is down or restarting: retry later."""


class Unprocessable(ProblemError, status=422, slug="validation-error"):
    @classmethod
    def field(cls, loc: list[str | int] | tuple[str | int, ...], msg: str) -> Unprocessable:
        """A 422 that names the offending field."""
        loc = list(loc)
        return cls(f"{'.'.join(str(p) for p in loc)}: {msg}", errors=[{"loc": loc, "msg": msg}])


def problem(
    status: int,
    detail: str,
    *,
    type_slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build an `application/problem+json` response."""
    body: dict[str, Any] = {
        "type": f"https://vcio.dev/problems/{type_slug or _TITLES.get(status, 'error').lower().replace(' ', '-')}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


# SQLSTATE classes that mean "the server is not there right now": 08 connection exception,
# 57P operator intervention (admin shutdown, cannot connect now), 53 insufficient resources.
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53")


def _sqlstate(exc: BaseException) -> str:
    current: BaseException | None = exc
    for _ in range(5):
        if current is None:
            break
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(code, str):
            return code
        current = getattr(current, "orig", None) or current.__cause__
    return ""


def database_unavailable(exc: BaseException) -> bool:
    """True when a database error means PostgreSQL is down or restarting (answer 503, retry), not a bug."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OSError, ConnectionError, TimeoutError)):
            return True
        sqlstate = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        name = type(current).__name__
        if name in (
            "ConnectionDoesNotExistError",
            "InterfaceError",
            "InternalClientError",
            "ConnectionFailureError",
            "CannotConnectNowError",
            "AdminShutdownError",
        ):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def _loc(loc: tuple[Any, ...] | list[Any]) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


def install_handlers(app: FastAPI) -> None:
    """Answer every error as problem details; never leak a stack trace."""

    @app.exception_handler(ProblemError)
    async def _domain(_: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.detail, type_slug=exc.type_slug, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": _loc(e.get("loc", ())), "msg": str(e.get("msg", "invalid"))} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)[:500]
        return problem(422, detail or "invalid request", type_slug="validation-error", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _db(_: Request, exc: DBAPIError) -> JSONResponse:
        if database_unavailable(exc):
            log.warning("database unavailable", error=type(exc.orig).__name__ if exc.orig else type(exc).__name__)
            return problem(503, "the database is unavailable; retry shortly", headers={"Retry-After": "2"})
        if isinstance(exc, IntegrityError):
            log.info("integrity conflict", error=str(exc.orig)[:200])
            return problem(409, "the change conflicts with existing data")
        if _sqlstate(exc).startswith("22"):  # data exception: a value PostgreSQL cannot take (NUL, out of range)
            return problem(
                422,
                "a value in the request cannot be stored",
                type_slug="validation-error",
                errors=[{"loc": ["body"], "msg": "invalid value"}],
            )
        log.exception("database error", error=type(exc).__name__)
        return problem(500, "an unexpected error occurred")

    @app.exception_handler(PoolTimeout)
    async def _pool(_: Request, exc: PoolTimeout) -> JSONResponse:
        log.warning("database pool exhausted")
        return problem(503, "the service is saturated; retry shortly", headers={"Retry-After": "1"})

    @app.exception_handler(OSError)
    async def _os(_: Request, exc: OSError) -> JSONResponse:
        log.warning("dependency unavailable", error=type(exc).__name__)
        return problem(503, "a dependency is unavailable; retry shortly", headers={"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", error=type(exc).__name__)
        return problem(500, "an unexpected error occurred")
