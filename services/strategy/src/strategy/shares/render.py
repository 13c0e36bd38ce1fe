"""HTML (Jinja2) and PDF (WeasyPrint) of what strategy shows a client: the shared roadmap and the QBR report.

The page a client opens and the PDF come from one template each (`mode` "page" or "pdf"), so they say the same."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vcio_shared.documents import template_env

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


@dataclass(frozen=True)
class Document:
    """A page to show: its template, the template's context, and the PDF's file name."""

    template: str
    context: dict[str, Any]
    filename: str


env = template_env(TEMPLATES)
env.filters["category"] = lambda c: CATEGORIES.get(c, c.replace("_", " ").capitalize())
env.filters["status"] = lambda s: STATUSES.get(s, s.replace("_", " ").capitalize())


def render(template: str, *, mode: str = "page", nonce: str = "", **context: Any) -> str:
    return env.get_template(template).render(mode=mode, nonce=nonce, **context)
