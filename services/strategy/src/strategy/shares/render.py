"""HTML (Jinja2) and PDF (WeasyPrint) of what strategy shows a client: the shared roadmap and the QBR report.

The page a client opens and the PDF come from one template each (`mode` "page" or "pdf"), so they say the same."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

CATEGORIES = {
    "it_strategy": "IT strategy",
    "business_applications": "Business applications",
    "data_and_bi": "Data and BI",
    "office_productivity": "Office productivity",
    "system_integrations": "System integrations",
    "cybersecurity": "Cybersecurity",
    "infrastructure": "Infrastructure",
    "account_management": "Account management",
    "proposals": "Proposals",
}
STATUSES = {"in_progress": "In progress"}


def group_money(value: str) -> str:
    """ "18000.00" → "18,000.00" for people; the API keeps the plain decimal string."""
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    whole, dot, frac = digits.partition(".")
    return f"{sign}{int(whole):,}{dot}{frac}"


def long_date(value: dt.date | dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%-d %B %Y, %H:%M UTC")
    return value.strftime("%-d %B %Y")


def last_day(value: dt.date | str) -> dt.date:
    """An end-exclusive date as the last day it covers."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return day - dt.timedelta(days=1)


@dataclass(frozen=True)
class Document:
    """A page to show: its template, the template's context, and the PDF's file name."""

    template: str
    context: dict[str, Any]
    filename: str


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["money"] = group_money
env.filters["long_date"] = long_date
env.filters["last_day"] = last_day
env.filters["category"] = lambda c: CATEGORIES.get(c, c.replace("_", " ").capitalize())
env.filters["status"] = lambda s: STATUSES.get(s, s.replace("_", " ").capitalize())


def render(template: str, *, mode: str = "page", nonce: str = "", **context: Any) -> str:
    return env.get_template(template).render(mode=mode, nonce=nonce, **context)


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint, fetching nothing outside the document. Slow: routes call it through `shares.pdf`."""
    # Imported here: WeasyPrint takes seconds to import, and most processes never render a PDF.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=["data"])).write_pdf()  # type: ignore[no-any-return]
