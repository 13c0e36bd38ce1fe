"""The console app: `uvicorn --factory vcio_console.main:build_app --port 8000`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from vcio_console.api import Api, PageNotFound, Refused, ServiceUnavailable
from vcio_console.pages import navigation, page_modules
from vcio_console.render import HERE, render, templates
from vcio_console.settings import ConsoleSettings, load_console_settings
from vcio_console.signin import (
    COOKIE,
    CheckedForm,
    CodeRefused,
    CsrfRefused,
    SignIn,
    SignInRequired,
    cookie_options,
)
from vcio_shared.auth import TokenVerifier

# Scripts and styles from the console alone: no inline script runs, even if escaping ever failed.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
_TITLES = {401: "Sign in", 403: "Forbidden", 404: "Not found", 422: "Not valid", 502: "A service did not answer"}


def problem(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """An error as a page for a browser, as RFC 9457 problem details for anything else."""
    if "text/html" in request.headers.get("accept", ""):
        data = {"status": status, "title": _TITLES.get(status, "Error"), "detail": detail}
        response = render(request, None, "error.html", data, status=status)
        response.headers.update(headers or {})
        return response
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, _: SignInRequired) -> Response:
        if request.headers.get("hx-request") == "true" or request.method != "GET":
            return problem(request, 401, "sign in first", {"www-authenticate": "Bearer", "hx-redirect": "/signin"})
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, _: CsrfRefused) -> Response:
        return problem(request, 403, "the form's CSRF token is missing or not this session's: reload the page")

    @app.exception_handler(PageNotFound)
    async def not_found(request: Request, _: PageNotFound) -> Response:
        return problem(request, 404, "there is no such page for your practice")

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return problem(request, exc.status, str(exc))

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, exc: ServiceUnavailable) -> Response:
        return problem(request, 502, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return problem(request, exc.status_code, str(exc.detail))

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return problem(request, 422, "; ".join(str(e.get("msg", "")) for e in exc.errors()))


def _signin_routes(app: FastAPI, settings: ConsoleSettings) -> None:
    @app.get("/signin", response_class=HTMLResponse)
    async def signin(request: Request, code: str = "") -> Response:
        """Open a development sign-in link: its one-time code becomes a session, then the dashboard."""
        exchanger: SignIn | None = request.app.state.signin
        if not code or exchanger is None:
            status = 401 if code else 200  # a code this console cannot take is refused; the page itself is not
            return render(request, None, "signin.html", {"links": exchanger is not None}, status=status)
        try:
            token = exchanger.exchange(code[:4096])
        except CodeRefused as exc:
            return render(request, None, "signin.html", {"links": True, "refused": str(exc)}, status=401)
        exp = float(jwt.decode(token, options={"verify_signature": False})["exp"])  # the token minted just now
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(value=token, **cookie_options(settings, exp))
        return response

    @app.post("/signout")
    async def signout(_: CheckedForm) -> Response:
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=not settings.development)
        return response


def build_app(settings: ConsoleSettings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The console; `transport` lets a test route the API calls (to the real services) its own way."""
    settings = settings or load_console_settings()
    api = Api(settings.service_urls, settings.timeout, transport)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await api.close()

    app = FastAPI(title="vcio console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.api = api
    app.state.verifier = TokenVerifier(settings.verifier_settings())
    app.state.signin = SignIn(settings.jwt_secret, {}) if settings.jwt_secret else None
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _errors(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("content-security-policy", CSP)
        response.headers.setdefault("x-content-type-options", "nosniff")
        response.headers.setdefault("referrer-policy", "same-origin")  # sign-in codes never leave in a Referer
        return response

    _signin_routes(app, settings)
    for module in page_modules():
        app.include_router(module.router)
    templates.env.globals["navigation"] = navigation()

    @app.get("/healthz", include_in_schema=False)
    @app.get("/readyz", include_in_schema=False)  # no database, no bus: up is ready (`vcio dev` polls this)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
