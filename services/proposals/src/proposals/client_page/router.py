"""The client's page at `{VCIO_PUBLIC_BASE_URL}/p/{token}`: no login, the unguessable token is the key.

GET shows the proposal (and records `viewed`); POST .../quote recomputes totals for the ticked options;
POST .../accept and .../decline take JSON (integrations, no CSRF: a cross-site form cannot send JSON) or a
form (CSRF double-submit). Every route here is rate-limited per link and address.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from proposals.client_page.security import CSRF_COOKIE, Csrf
from proposals.deps import MailerDep
from proposals.proposals import document, flows, service
from proposals.proposals.mail import Mailer
from proposals.proposals.models import OPEN_STATUSES
from proposals.proposals.pdf import pdf_response
from proposals.proposals.render import render_notice, render_page
from proposals.proposals.schemas import ClientAcceptRequest, DeclineRequest, QuoteRequest
from vcio_shared.clock import Clock
from vcio_shared.db import SessionDep
from vcio_shared.errors import Conflict, Forbidden, Gone, NotFound, ProblemError, TooManyRequests, Unprocessable
from vcio_shared.ratelimit import RateLimiter
from vcio_shared.runtime import ClockDep

router = APIRouter(prefix="/p", tags=["client page"])
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32): 256 bits
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PER_ADDRESS_FACTOR = 5


def _nonce(request: Request) -> str:
    return getattr(request.state, "csp_nonce", "")


def _guard(request: Request, token: str, clock: Any) -> None:
    """Rate limit first (per link and address, and per address over all links), then the token's shape."""
    limiter: RateLimiter = request.app.state.page_limiter
    ip = request.client.host if request.client else "unknown"
    now = clock.now()
    for key, limit in (((ip, token), limiter.limit), ((ip,), limiter.limit * PER_ADDRESS_FACTOR)):
        if not limiter.allow(key, now, limit):
            raise TooManyRequests(
                "too many requests for this link; try again shortly",
                headers={"Retry-After": str(limiter.retry_after(key, now))},
            )
    if not TOKEN.match(token):
        raise NotFound("no such proposal link")


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _html(request: Request, html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status)


def _notice(request: Request, exc: ProblemError, msp_name: str | None = None) -> HTMLResponse:
    titles = {
        404: "Link not found",
        409: "This proposal can no longer be changed",
        410: "This proposal has expired",
        422: "Please check what you entered",
        429: "Too many requests",
    }
    return _html(
        request,
        render_notice(
            titles.get(exc.status, "Something is not right"), exc.detail, nonce=_nonce(request), msp_name=msp_name
        ),
        exc.status,
    )


def _page(
    request: Request,
    row: Any,
    token: str,
    *,
    selected: list[str] | None = None,
    status: int = 200,
    notice: str | None = None,
    errors: list[str] | None = None,
) -> HTMLResponse:
    csrf: Csrf = request.app.state.csrf
    cookie = request.cookies.get(CSRF_COOKIE)
    value = cookie if cookie and csrf.valid_for(cookie, token) else csrf.issue(token)
    html = render_page(
        document.present(row, selected),
        mode="page",
        nonce=_nonce(request),
        csrf=value,
        token=token,
        notice=notice,
        errors=errors or [],
    )
    response = _html(request, html, status)
    base = request.app.state.runtime.settings.public_base_url
    response.set_cookie(
        CSRF_COOKIE, value, path=f"/p/{token}", httponly=True, samesite="strict", secure=base.startswith("https://")
    )
    return response


def _closed_notice(request: Request, row: Any) -> HTMLResponse | None:
    if row.status == "expired":
        return _notice(
            request,
            Gone(
                f"This proposal was valid until {row.valid_until:%-d %B %Y}. Please ask {row.msp_name} for a new one."
            ),
            row.msp_name,
        )
    if row.status == "superseded":
        return _notice(
            request,
            Gone(f"This version was replaced by a newer one. {row.msp_name} will send you its link."),
            row.msp_name,
        )
    return None


@router.get("/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    try:
        _guard(request, token, clock)
        row = await flows.open_page(session, token, clock.now())
    except NotFound as exc:
        return _notice(request, exc)
    return _closed_notice(request, row) or _page(request, row, token)


async def _form(request: Request, token: str) -> Any:
    form = await request.form()
    csrf: Csrf = request.app.state.csrf
    submitted = form.get("csrf_token")
    if not csrf.check(request.cookies.get(CSRF_COOKIE), submitted if isinstance(submitted, str) else None, token):
        raise Forbidden("the form is stale or was not sent from this page; reload the page and retry")
    return form


async def _json(request: Request, model: type[Any]) -> Any:
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc


def _form_field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _options(form: Any) -> list[str]:
    return [v for v in form.getlist("option") if isinstance(v, str)]


class UnsupportedMediaType(ProblemError, status=415, slug="unsupported-media-type"): ...


def _unsupported() -> ProblemError:
    return UnsupportedMediaType("send JSON (application/json) or a form (application/x-www-form-urlencoded)")


async def _json_and_row(
    request: Request, session: AsyncSession, token: str, model: type[Any], *, for_update: bool
) -> tuple[Any, Any]:
    """A JSON post's body (validated as `model`) and the proposal."""
    body = await _json(request, model)
    return body, await service.by_token(session, token, for_update=for_update)


async def _form_and_row(
    request: Request, session: AsyncSession, token: str, *, for_update: bool
) -> tuple[Any, Any] | Response:
    """A form post's fields (its CSRF token checked) and the proposal; a refusal is the notice page to answer."""
    if _content_type(request) not in FORM_TYPES:
        raise _unsupported()
    try:
        form = await _form(request, token)
        return form, await service.by_token(session, token, for_update=for_update)
    except ProblemError as exc:
        return _notice(request, exc)


@router.post("/{token}/quote")
async def quote(token: str, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    """Totals and document hash for a choice of optional items (the page's script, or its no-script button)."""
    _guard(request, token, clock)
    if _content_type(request) == "application/json":
        body, row = await _json_and_row(request, session, token, QuoteRequest, for_update=False)
        view = document.present(row, body.selected_options, calendar=False)
        return JSONResponse(
            {k: view[k] for k in ("currency", "monthly_total", "one_time_total", "contract_value", "selected_options")}
            | {
                "first_invoice_estimate": {"total": view["first_invoice_estimate"]["total"]},
                "document_sha256": view["shown_document_sha256"],
            }
        )
    got = await _form_and_row(request, session, token, for_update=False)
    if isinstance(got, Response):
        return got
    form, row = got
    return _closed_notice(request, row) or _page(request, row, token, selected=_options(form))


async def _accept(
    session: AsyncSession, row: Any, body: ClientAcceptRequest, request: Request, clock: Clock, mailer: Mailer
) -> Any:
    """The client's acceptance, with the address and browser it came from; the signed copy is mailed."""
    return await flows.accept(
        session,
        row,
        signer_name=body.signer_name,
        signer_email=body.signer_email,
        selected=body.selected_options,
        channel="client_page",
        now=clock.now(),
        mailer=mailer,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _accepted(row: Any) -> JSONResponse:
    view = document.present(row, calendar=False)
    return JSONResponse(
        {
            "proposal_id": str(row.id),
            "status": row.status,
            "accepted_at": row.accepted_at.isoformat(),
            "signer_name": row.signer_name,
            "signer_email": row.signer_email,
            "selected_options": row.selected_options,
            "currency": row.currency,
            "monthly_total": view["monthly_total"],
            "one_time_total": view["one_time_total"],
            "contract_value": view["contract_value"],
            "document_sha256": row.document_sha256,
        }
    )


@router.post("/{token}/accept")
async def accept(token: str, request: Request, session: SessionDep, clock: ClockDep, mailer: MailerDep) -> Response:
    _guard(request, token, clock)
    if _content_type(request) == "application/json":
        body, row = await _json_and_row(request, session, token, ClientAcceptRequest, for_update=True)
        return _accepted(await _accept(session, row, body, request, clock, mailer))
    got = await _form_and_row(request, session, token, for_update=True)
    if isinstance(got, Response):
        return got
    form, row = got
    selected = _options(form)
    try:
        body = ClientAcceptRequest(
            signer_name=_form_field(form, "signer_name") or "",
            signer_email=_form_field(form, "signer_email") or "",
            selected_options=selected,
        )
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return _page(request, row, token, selected=selected, status=422, errors=errors)
    try:
        row = await _accept(session, row, body, request, clock, mailer)
    except (Conflict, Gone, Unprocessable) as exc:
        return _closed_notice(request, row) or _notice(request, exc, row.msp_name)
    return _page(request, row, token, notice="Thank you: your acceptance is recorded.")


@router.post("/{token}/decline")
async def decline(token: str, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    _guard(request, token, clock)
    if _content_type(request) == "application/json":
        body, row = await _json_and_row(request, session, token, DeclineRequest, for_update=True)
        row = await flows.decline(session, row, body.reason, clock.now())
        return JSONResponse(
            {
                "proposal_id": str(row.id),
                "status": row.status,
                "declined_at": row.declined_at.isoformat(),
                "reason": row.decline_reason,
            }
        )
    got = await _form_and_row(request, session, token, for_update=True)
    if isinstance(got, Response):
        return got
    form, row = got
    try:
        reason = DeclineRequest(reason=_form_field(form, "reason") or "").reason
    except ValidationError:
        return _page(request, row, token, status=422, errors=["reason: please say why you decline"])
    try:
        row = await flows.decline(session, row, reason, clock.now())
    except (Conflict, Gone) as exc:
        return _closed_notice(request, row) or _notice(request, exc, row.msp_name)
    return _page(request, row, token, notice="Your answer is recorded. Thank you for considering us.")


@router.get("/{token}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
async def pdf(token: str, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    _guard(request, token, clock)
    row = await service.by_token(session, token)
    if row.status not in (*OPEN_STATUSES, "accepted", "declined"):
        raise Gone(f"this proposal is {row.status}")
    view = document.present(row)
    return await pdf_response(session, request.app.state.pdf, view, f"proposal-v{row.version}.pdf")
