"""The raw baseline for the console's page figures: a bare FastAPI + Jinja2 app rendering pages of the console's
very size.

No auth, no API calls, no middleware: `uvicorn --factory bench.bare_page:build` with the services' uvicorn
settings. BENCH_BARE_PAGES names a file {"dashboard": <html>, "client": <html>}, the console's pages captured
once in the same run. Each becomes a Jinja2 template whose every text node is a variable, escaped by Jinja2 on
render as the console's values are (FastAPI's Jinja2Templates, autoescape on, as the console renders), so the
baseline renders a page of the same bytes with the same text, read from nowhere."""

from __future__ import annotations

import html
import json
import os
import re
import uuid
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import DictLoader, Environment

TEXT = re.compile(r">([^<]*[^<\s][^<]*)<")  # a text node with something other than white space in it


def _literal(markup: str) -> str:
    """Markup kept as it is, even where it holds what Jinja2 would read as its own syntax."""
    if any(d in markup for d in ("{{", "{%", "{#")):
        return "{% raw %}" + markup + "{% endraw %}"
    return markup


def as_template(page: str) -> tuple[str, list[str]]:
    """The page as a template source whose text nodes are `{{ t[i] }}`, and those texts (unescaped)."""
    parts: list[str] = []
    texts: list[str] = []
    last = 0
    for m in TEXT.finditer(page):
        parts.append(_literal(page[last : m.start(1)]))
        parts.append(f"{{{{ t[{len(texts)}] }}}}")
        texts.append(html.unescape(m.group(1)))
        last = m.end(1)
    parts.append(_literal(page[last:]))
    return "".join(parts), texts


def build() -> FastAPI:
    pages: dict[str, str] = json.loads(Path(os.environ["BENCH_BARE_PAGES"]).read_text())
    sources = {name: as_template(page) for name, page in pages.items()}
    env = Environment(loader=DictLoader({name: src for name, (src, _) in sources.items()}), autoescape=True)
    templates = Jinja2Templates(env=env)
    texts = {name: t for name, (_, t) in sources.items()}
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    async def dashboard(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "dashboard", {"t": texts["dashboard"]})

    @app.get("/clients/{client_id}", response_class=HTMLResponse)
    async def client_page(request: Request, client_id: uuid.UUID) -> HTMLResponse:
        return templates.TemplateResponse(request, "client", {"t": texts["client"]})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
