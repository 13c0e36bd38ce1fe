"""A proposal's PDF through the shared bounded renderer (vcio_shared.documents.PdfRenderer): a package with a huge
schedule can take a minute and a gigabyte to render, and `GET /p/{token}/pdf` needs no login. The cache key is the
document hash shown, then the SHA-256 of the print HTML (which adds what the hash does not cover, such as the
acceptance banner)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from proposals.proposals.render import render_pdf_html
from vcio_shared import documents
from vcio_shared.documents import PdfRenderer

__all__ = ["PdfRenderer", "pdf_of", "pdf_response"]


async def pdf_of(renderer: PdfRenderer, view: dict[str, Any]) -> bytes:
    """The PDF of a view from `document.present`."""
    return await renderer.render(render_pdf_html(view), f"{view['shown_document_sha256']}:")


async def pdf_response(session: AsyncSession, renderer: PdfRenderer, view: dict[str, Any], filename: str) -> Response:
    """The PDF of a view, shown inline (the request's connection goes back to the pool first)."""
    html = render_pdf_html(view)
    return await documents.pdf_response(session, renderer, html, filename, f"{view['shown_document_sha256']}:")
