"""HTML (Jinja2) and PDF (WeasyPrint) from one template: the page the client opens and the PDF are the same text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2

from proposals.proposals.calc import month_label

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_ROLES = {
    "vcio": "vCIO",
    "account_manager": "Account manager",
    "technical_account_manager": "Technical account manager",
    "engineer": "Engineer",
}


def group_money(value: str) -> str:
    """ "18000.00" → "18,000.00" for people; the API keeps the plain decimal string."""
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    whole, dot, frac = digits.partition(".")
    return f"{sign}{int(whole):,}{dot}{frac}"


def long_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%-d %B %Y, %H:%M UTC")
    return value.strftime("%-d %B %Y")


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["money"] = group_money
env.filters["long_date"] = long_date
# An end-exclusive date (a term's or a billing period's end) as the last day it covers, for people.
env.filters["last_day"] = lambda d: d - dt.timedelta(days=1)
env.filters["month_label"] = month_label
env.filters["role"] = lambda r: _ROLES.get(r, r.replace("_", " ").capitalize())
env.filters["cycle"] = lambda c: {"monthly": "Monthly", "quarterly": "Quarterly", "annual": "Annually"}.get(c, c)


def render_page(view: dict[str, Any], **context: Any) -> str:
    defaults: dict[str, Any] = {"mode": "page", "nonce": "", "csrf": "", "token": "", "notice": None, "errors": []}
    return env.get_template("proposal.html").render(p=view, **{**defaults, **context})


def render_notice(title: str, message: str, *, nonce: str = "", msp_name: str | None = None) -> str:
    return env.get_template("notice.html").render(title=title, message=message, nonce=nonce, msp_name=msp_name)


def render_pdf_html(view: dict[str, Any]) -> str:
    """The page template in print mode: what the PDF shows (no nonce, token or form, so the same view gives the
    same text)."""
    return render_page(view, mode="pdf")


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint, fetching nothing outside the document. Slow and memory-hungry: routes call it through
    proposals.proposals.pdf (bounded concurrency, cache)."""
    # Imported here: WeasyPrint takes seconds to import, and most processes never render a PDF.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=["data"])).write_pdf()  # type: ignore[no-any-return]
