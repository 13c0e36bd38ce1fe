"""Catalog: the packages, an editor with activity rows (cadence in words beside each RRULE), publishing, the price
effort suggests, and a side-by-side diff of two versions."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vcio_console.api import Refused, as_uuid
from vcio_console.render import Ctx, render
from vcio_console.signin import CheckedForm
from vcio_shared import cadence, money
from vcio_shared.cadence_words import words as in_words
from vcio_shared.vocabulary import BILLING_CYCLES, BILLING_MODES, CATEGORIES, ROLES, TRACKS

router = APIRouter()
NAV = (30, "Catalog", "/catalog", "catalog")

FIELDS = ("name", "tier", "description", "currency", "monthly_price", "billing_cycle", "term_months", "onboarding_fee")
ACTIVITY_FIELDS = ("name", "category", "track", "billing_mode", "cadence", "role", "effort_hours", "deliverable")
OPTIONAL = ("tier", "description", "onboarding_fee")  # an empty input is "not given"
ROLE_WORDS = {
    "vcio": "vCIO",
    "account_manager": "Account manager",
    "technical_account_manager": "Technical account manager",
    "engineer": "Engineer",
}
_ROW_KEY = re.compile(r"^activities-(\d{1,2})-([a-z_]+)$")
MAX_ROWS = 50  # the catalog's limit on a package's activities


@dataclass
class Editor:
    """What the editor form holds: the package's fields and its activity rows, as typed."""

    values: dict[str, str]
    rows: list[dict[str, str]]
    idempotency_key: str = field(default_factory=lambda: str(uuid.uuid4()))
    figures: list[str] = field(default_factory=list)  # each stored row's count in the term and hours a year
    rates: dict[str, str] = field(default_factory=dict)  # rates typed to try (`rate-<role>`), over the saved ones


def blank_row() -> dict[str, str]:
    return {
        "name": "",
        "category": "it_strategy",
        "track": "business",
        "billing_mode": "billable",
        "cadence": "FREQ=MONTHLY",
        "role": "vcio",
        "effort_hours": "",
        "deliverable": "",
    }


def blank_editor() -> Editor:
    values = dict.fromkeys(FIELDS, "")
    values.update(currency="USD", billing_cycle="monthly", term_months="12")
    return Editor(values=values, rows=[blank_row()])


def editor_of(package: dict[str, Any]) -> Editor:
    """The editor filled with a package version, as the API answered it."""
    values = {k: "" if package.get(k) is None else str(package[k]) for k in FIELDS}
    rows = [{k: "" if a.get(k) is None else str(a[k]) for k in ACTIVITY_FIELDS} for a in package["activities"]]
    term = package["term_months"]
    figures = [
        f"{a['occurrences_in_term']} time{'s' if a['occurrences_in_term'] != 1 else ''} in a {term}-month term, "
        f"{a['hours_per_year']} hours a year"
        for a in package["activities"]
    ]
    return Editor(values=values, rows=rows, figures=figures)


def editor_from_form(form: dict[str, str]) -> Editor:
    """The editor as POSTed: fields by name, rows from `activities-<i>-<field>`, in their order."""
    values = {k: form.get(k, "").strip() for k in FIELDS}
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        if (m := _ROW_KEY.match(key)) and m.group(2) in ACTIVITY_FIELDS:
            rows.setdefault(int(m.group(1)), dict.fromkeys(ACTIVITY_FIELDS, ""))[m.group(2)] = value.strip()
    key = form.get("idempotency_key", "")
    rates = {role: form.get(f"rate-{role}", "").strip()[:40] for role in ROLES}
    return Editor(
        values=values,
        rows=[rows[i] for i in sorted(rows)],
        idempotency_key=key or str(uuid.uuid4()),
        rates={role: rate for role, rate in rates.items() if rate},
    )


def body_of(editor: Editor) -> dict[str, Any]:
    """The package as the catalog takes it (POST or PUT /v1/packages): empty optional inputs left out, the term a
    number when it is one (the catalog refuses anything else with its own message)."""
    body: dict[str, Any] = {k: v for k, v in editor.values.items() if v or k not in OPTIONAL}
    term = editor.values["term_months"]
    body["term_months"] = int(term) if term.isascii() and term.isdigit() else term
    body["activities"] = [{k: v for k, v in row.items() if v or k != "deliverable"} for row in editor.rows]
    return body


def cadence_words(rule: str) -> tuple[str, bool]:
    """(the cadence in words, True) or (the checker's reason it is refused, False): the catalog's own checker."""
    try:
        return in_words(cadence.parse(rule, dt.datetime.now(dt.UTC).date())), True
    except cadence.CadenceError as exc:
        return f"cadence {exc}", False


def _choices() -> dict[str, Any]:
    return {
        "categories": CATEGORIES,
        "tracks": TRACKS,
        "billing_modes": BILLING_MODES,
        "billing_cycles": BILLING_CYCLES,
        "roles": ROLES,
        "role_words": ROLE_WORDS,
        "currencies": sorted(money.CURRENCY_DIGITS),
    }


def _editor_page(
    request: Request,
    ctx: Ctx,
    editor: Editor,
    *,
    package: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
    pricing: dict[str, Any] | None = None,
    saved: dict[str, dict[str, str]] | None = None,
) -> HTMLResponse:
    words = [cadence_words(row["cadence"]) for row in editor.rows]
    figures = editor.figures or [""] * len(editor.rows)
    data = {
        "page": "catalog",
        "editor": editor,
        "rows": list(zip(editor.rows, words, figures, strict=True)),
        "package": package,
        "error": error,
        "pricing": pricing,
        "saved_rates": (saved or {}).get(editor.values["currency"], {}),
        "max_rows": MAX_ROWS,
        **_choices(),
    }
    return render(request, ctx, "catalog_editor.html", data, status=status)


def _edit_rows(editor: Editor, action: str) -> bool:
    """Add or remove a row as the form's button asked (True), or not (False: the form is to be saved)."""
    if action == "add":
        if len(editor.rows) < MAX_ROWS:
            editor.rows.append(blank_row())
        return True
    if action.startswith("remove-") and action[7:].isdigit():
        index = int(action[7:])
        if index < len(editor.rows) and len(editor.rows) > 1:
            del editor.rows[index]
        return True
    return False


# ---------------------------------------------------------------- the list


async def _catalog_page(
    request: Request,
    ctx: Ctx,
    rates: dict[str, dict[str, str]] | None = None,
    new_currency: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The package list and the tenant's hourly rates (as saved, or as typed when the catalog refused them)."""
    packages = await ctx.calls.every("catalog", "/v1/packages")
    packages.sort(key=lambda p: (p["name"].casefold(), p["id"]))
    if rates is None:
        rates = (await ctx.calls.get("catalog", "/v1/settings"))["hourly_rates"]
    data = {
        "page": "catalog",
        "packages": packages,
        "rates": rates,
        "new_currency": new_currency,
        "rate_error": error,
        "roles": ROLES,
        "role_words": ROLE_WORDS,
        "currencies": sorted(money.CURRENCY_DIGITS),
    }
    return render(request, ctx, "catalog.html", data, status=status)


@router.get("/catalog", response_class=HTMLResponse)
async def package_list(request: Request, ctx: Ctx) -> HTMLResponse:
    return await _catalog_page(request, ctx)


def rates_from_form(form: dict[str, str]) -> tuple[dict[str, dict[str, str]], str]:
    """The rates table as POSTed: `rate-<CUR>-<role>` for the saved currencies, `new-currency` and `rate-new-<role>`
    for one more; an empty input leaves that role out, a currency with none is left out (removed)."""
    typed: dict[str, dict[str, str]] = {}
    for key, value in form.items():
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == "rate" and parts[1] != "new" and parts[2] in ROLES and value.strip():
            typed.setdefault(parts[1][:3], {})[parts[2]] = value.strip()[:40]
    new = form.get("new-currency", "").strip()[:3]
    added = {role: form.get(f"rate-new-{role}", "").strip()[:40] for role in ROLES}
    if new and any(added.values()):
        typed.setdefault(new, {}).update({role: rate for role, rate in added.items() if rate})
    return typed, new


@router.post("/catalog/rates", response_model=None)
async def save_rates(request: Request, ctx: Ctx, form: CheckedForm) -> Response:
    """Save the tenant's hourly rates (PUT /v1/settings: the whole table, as the form holds it)."""
    rates, new = rates_from_form(form)
    try:
        await ctx.calls.send("PUT", "catalog", "/v1/settings", {"hourly_rates": rates})
    except Refused as exc:
        return await _catalog_page(request, ctx, rates, new, error=str(exc), status=exc.status)
    return RedirectResponse("/catalog#rates", status_code=303)


# ---------------------------------------------------------------- cadence in words (htmx, and no write)


@router.get("/catalog/cadence", response_class=HTMLResponse)
async def words_fragment(request: Request, ctx: Ctx) -> HTMLResponse:
    """The words of the one cadence input htmx sends (`activities-<i>-cadence`), for the span beside it."""
    found = [
        (int(m.group(1)), value)
        for key, value in request.query_params.items()
        if (m := _ROW_KEY.match(key)) and m.group(2) == "cadence"
    ]
    if len(found) != 1:
        return render(request, ctx, "catalog_words.html", {"index": 0, "words": ("no cadence given", False)}, 422)
    index, rule = found[0]
    return render(request, ctx, "catalog_words.html", {"index": index, "words": cadence_words(rule[:1000])})


# ---------------------------------------------------------------- new package


@router.get("/catalog/new", response_class=HTMLResponse)
async def new_package(request: Request, ctx: Ctx) -> HTMLResponse:
    return _editor_page(request, ctx, blank_editor(), saved=await _saved_rates(ctx))


@router.post("/catalog/new", response_model=None)
async def create_package(request: Request, ctx: Ctx, form: CheckedForm) -> Response:
    editor = editor_from_form(form)
    if form.get("action") == "quote":  # the suggestion without JavaScript: the form back, with it
        saved = await _saved_rates(ctx)
        return _editor_page(request, ctx, editor, pricing=await _quote(ctx, editor, saved), saved=saved)
    if _edit_rows(editor, form.get("action", "save")):
        return _editor_page(request, ctx, editor, saved=await _saved_rates(ctx))
    try:
        package = await ctx.calls.send(
            "POST", "catalog", "/v1/packages", body_of(editor), idempotency_key=editor.idempotency_key
        )
    except Refused as exc:
        return _editor_page(request, ctx, editor, error=str(exc), status=exc.status, saved=await _saved_rates(ctx))
    return RedirectResponse(f"/catalog/{package['id']}", status_code=303)


# ---------------------------------------------------------------- one package


async def _saved_rates(ctx: Ctx) -> dict[str, dict[str, str]]:
    """The tenant's hourly rates per currency and role, as the catalog keeps them (GET /v1/settings)."""
    settings: dict[str, dict[str, dict[str, str]]] = await ctx.calls.get("catalog", "/v1/settings")
    return settings["hourly_rates"]


async def _quote(ctx: Ctx, editor: Editor, saved: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The catalog's figures for the package as typed (POST /v1/packages/quote, nothing stored), or why it refused.

    Without rates typed the catalog prices at its saved rates in the package's currency; rates typed to try are
    sent over the saved ones (the catalog takes the rates given as the whole set)."""
    body: dict[str, Any] = {"package": body_of(editor)}
    if editor.rates:
        body["rates"] = {**saved.get(editor.values["currency"], {}), **editor.rates}
    try:
        answer = await ctx.calls.send("POST", "catalog", "/v1/packages/quote", body)
    except Refused as exc:
        return {"error": str(exc)}
    return {"answer": answer}


@router.get("/catalog/{package_id}", response_class=HTMLResponse)
async def package_page(request: Request, ctx: Ctx, package_id: str) -> HTMLResponse:
    package = await ctx.calls.get("catalog", f"/v1/packages/{as_uuid(package_id)}")
    editor = editor_of(package)
    saved = await _saved_rates(ctx)
    return _editor_page(request, ctx, editor, package=package, pricing=await _quote(ctx, editor, saved), saved=saved)


@router.post("/catalog/quote", response_class=HTMLResponse)
async def quote_fragment(request: Request, ctx: Ctx, form: CheckedForm) -> HTMLResponse:
    """The suggestion for the editor as typed (htmx posts the whole form on input and swaps this into #pricing)."""
    editor = editor_from_form(form)
    data = {"pricing": await _quote(ctx, editor, await _saved_rates(ctx)), "role_words": ROLE_WORDS}
    return render(request, ctx, "catalog_pricing.html", data)


@router.post("/catalog/{package_id}", response_model=None)
async def save_package(request: Request, ctx: Ctx, package_id: str, form: CheckedForm) -> Response:
    """Save the editor: the draft is replaced; a published version is kept and draft N+1 opens (PUT)."""
    pid = as_uuid(package_id)
    package = await ctx.calls.get("catalog", f"/v1/packages/{pid}")  # 404 for another tenant's package
    editor = editor_from_form(form)
    saved = await _saved_rates(ctx)
    if form.get("action") == "quote":
        pricing = await _quote(ctx, editor, saved)
        return _editor_page(request, ctx, editor, package=package, pricing=pricing, saved=saved)
    if _edit_rows(editor, form.get("action", "save")):
        return _editor_page(request, ctx, editor, package=package, saved=saved)
    try:
        await ctx.calls.send("PUT", "catalog", f"/v1/packages/{pid}", body_of(editor))
    except Refused as exc:
        return _editor_page(request, ctx, editor, package=package, error=str(exc), status=exc.status, saved=saved)
    return RedirectResponse(f"/catalog/{pid}", status_code=303)


@router.post("/catalog/{package_id}/publish", response_model=None)
async def publish_package(request: Request, ctx: Ctx, package_id: str, _: CheckedForm) -> Response:
    pid = as_uuid(package_id)
    try:
        await ctx.calls.send("POST", "catalog", f"/v1/packages/{pid}/publish")
    except Refused as exc:
        package = await ctx.calls.get("catalog", f"/v1/packages/{pid}")
        editor = editor_of(package)
        saved = await _saved_rates(ctx)
        pricing = await _quote(ctx, editor, saved)
        return _editor_page(
            request, ctx, editor, package=package, error=str(exc), status=exc.status, pricing=pricing, saved=saved
        )
    return RedirectResponse(f"/catalog/{pid}", status_code=303)


# ---------------------------------------------------------------- versions side by side


@dataclass(frozen=True)
class Change:
    """One line of a diff: a field, or an activity (matched by name), in each version, and how it changed."""

    label: str
    kind: str  # "same", "changed", "added", "removed"
    left: dict[str, str] | str | None
    right: dict[str, str] | str | None
    fields: tuple[str, ...] = ()  # the activity fields that changed


DIFF_FIELDS = (*FIELDS, "contract_value", "total_effort_hours_per_year")


def _activity(a: dict[str, Any]) -> dict[str, str]:
    return {k: "" if a.get(k) is None else str(a[k]) for k in ACTIVITY_FIELDS}


def diff(left: dict[str, Any], right: dict[str, Any]) -> tuple[list[Change], list[Change]]:
    """The package fields and the activity rows of two versions, each marked same, changed, added or removed.

    Activities are matched by name (the n-th of a name with the n-th), in the order of the newer version, with
    the removed ones after."""
    fields = []
    for name in DIFF_FIELDS:
        was, now = _text(left.get(name)), _text(right.get(name))
        fields.append(Change(name, "same" if was == now else "changed", was, now))

    def keyed(package: dict[str, Any]) -> dict[tuple[str, int], dict[str, str]]:
        seen: dict[str, int] = {}
        out = {}
        for a in package["activities"]:
            seen[a["name"]] = seen.get(a["name"], 0) + 1
            out[(a["name"], seen[a["name"]])] = _activity(a)
        return out

    old, new = keyed(left), keyed(right)
    rows = []
    for key, after in new.items():
        before = old.get(key)
        if before is None:
            rows.append(Change(key[0], "added", None, after))
            continue
        changed = tuple(k for k in ACTIVITY_FIELDS if before[k] != after[k])
        rows.append(Change(key[0], "changed" if changed else "same", before, after, changed))
    rows.extend(Change(key[0], "removed", before, None) for key, before in old.items() if key not in new)
    return fields, rows


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{ROLE_WORDS.get(k, k)} {v}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


VersionNumber = Annotated[int | None, Query(ge=1, le=1_000_000)]


@router.get("/catalog/{package_id}/diff", response_class=HTMLResponse)
async def version_diff(
    request: Request, ctx: Ctx, package_id: str, left: VersionNumber = None, right: VersionNumber = None
) -> HTMLResponse:
    """Two versions side by side (by default the latest and the one before it)."""
    pid = as_uuid(package_id)
    latest = await ctx.calls.get("catalog", f"/v1/packages/{pid}")
    right = right or latest["version"]
    left = left or max(1, right - 1)
    a = await ctx.calls.get("catalog", f"/v1/packages/{pid}", {"version": left})
    b = await ctx.calls.get("catalog", f"/v1/packages/{pid}", {"version": right})
    fields, rows = diff(a, b)
    data = {
        "page": "catalog",
        "package": latest,
        "left": a,
        "right": b,
        "fields": fields,
        "rows": rows,
        "versions": list(range(latest["latest_version"], 0, -1)),
        "activity_fields": ACTIVITY_FIELDS,
        "changed_count": sum(c.kind != "same" for c in fields) + sum(c.kind != "same" for c in rows),
    }
    return render(request, ctx, "catalog_diff.html", data)
