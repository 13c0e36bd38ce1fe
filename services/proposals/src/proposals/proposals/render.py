"""HTML (Jinja2) and PDF (WeasyPrint) from one template: the page the client opens and the PDF are the same text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from proposals.proposals.calc import month_label
from vcio_shared.documents import template_env

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_ROLES = {
    "vcio": "vCIO",
    "account_manager": "Account manager",
    "technical_account_manager": "Technical account manager",
    "engineer": "Engineer",
}


env = template_env(TEMPLATES)
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
