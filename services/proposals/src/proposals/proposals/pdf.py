"""PDFs made safely: a bounded number of renders at once per process, and a bounded cache per document.

A PDF of a package with a huge schedule can take a minute and a gigabyte to render, and `GET /p/{token}/pdf` needs
no login. So at most `concurrency` renders run at once in this process; a request that cannot start one within
`wait_seconds` gets a 503 problem with `Retry-After` instead of piling up. Rendered PDFs are kept per document:
the key is the document hash shown plus the SHA-256 of the print HTML (which adds what the hash does not cover,
such as the acceptance banner), so a second GET of the same document is served without rendering. The cache is
least-recently-used, bounded both in entries and in bytes.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
from collections import OrderedDict
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from proposals.proposals.render import html_to_pdf, render_pdf_html
from vcio_shared.errors import Unavailable

MIB = 1024 * 1024


class PdfRenderer:
    def __init__(
        self,
        *,
        concurrency: int = 2,
        wait_seconds: float = 10.0,
        max_entries: int = 128,
        max_bytes: int = 64 * MIB,
    ) -> None:
        if concurrency < 1 or wait_seconds <= 0 or max_entries < 0 or max_bytes < 0:
            raise ValueError("PDF renderer limits must be positive")
        self.concurrency = concurrency
        self.wait_seconds = wait_seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.slots = anyio.Semaphore(concurrency)
        self.renders = 0  # how many PDFs this process has rendered (the cache's hits are not counted)
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._inflight: dict[str, anyio.Event] = {}  # documents being rendered now, set when done
        self._cached_bytes = 0

    @classmethod
    def from_environment(cls) -> PdfRenderer:
        env = os.environ.get
        return cls(
            concurrency=int(env("PROPOSALS_PDF_CONCURRENCY", "2")),
            wait_seconds=float(env("PROPOSALS_PDF_WAIT_SECONDS", "10")),
            max_entries=int(env("PROPOSALS_PDF_CACHE_ENTRIES", "128")),
            max_bytes=int(env("PROPOSALS_PDF_CACHE_MB", "64")) * MIB,
        )

    @property
    def cached(self) -> tuple[int, int]:
        """(entries, bytes) held now."""
        return len(self._cache), self._cached_bytes

    async def render(self, view: dict[str, Any]) -> bytes:
        """The PDF of a view from `document.present`: from the cache, or rendered in a worker thread.

        Requests for a document already being rendered wait for that render instead of starting another."""
        html = render_pdf_html(view)
        key = f"{view['shown_document_sha256']}:{hashlib.sha256(html.encode()).hexdigest()}"
        done: anyio.Event | None = None
        with anyio.move_on_after(self.wait_seconds):  # the wait is bounded; the render itself is not cancelled
            while (hit := self._get(key)) is None and key in self._inflight:
                await self._inflight[key].wait()
            if hit is not None:
                return hit
            waiting = self._inflight[key] = anyio.Event()
            try:
                await self.slots.acquire()
            except BaseException:
                self._finish(key, waiting)
                raise
            done = waiting
        if done is None:
            raise Unavailable(
                "too many PDFs are being prepared right now; try again shortly",
                headers={"Retry-After": str(math.ceil(self.wait_seconds))},
            )
        return await self._render_holding_slot(key, html, done)

    async def _render_holding_slot(self, key: str, html: str, done: anyio.Event) -> bytes:
        try:
            # Shielded (from the wait's deadline and from a client that leaves): a started render finishes and is
            # cached; the thread could not be stopped anyway.
            with anyio.CancelScope(shield=True):
                pdf = await anyio.to_thread.run_sync(functools.partial(html_to_pdf, html))
                self.renders += 1
                self._put(key, pdf)
            return pdf
        finally:
            self.slots.release()
            self._finish(key, done)

    def _finish(self, key: str, done: anyio.Event) -> None:
        """This request no longer renders `key`: the requests waiting for it look at the cache again."""
        if self._inflight.get(key) is done:
            del self._inflight[key]
        done.set()

    def _get(self, key: str) -> bytes | None:
        pdf = self._cache.get(key)
        if pdf is not None:
            self._cache.move_to_end(key)
        return pdf

    def _put(self, key: str, pdf: bytes) -> None:
        if len(pdf) > self.max_bytes or self.max_entries == 0 or key in self._cache:
            return
        self._cache[key] = pdf
        self._cached_bytes += len(pdf)
        while len(self._cache) > self.max_entries or self._cached_bytes > self.max_bytes:
            _, old = self._cache.popitem(last=False)
            self._cached_bytes -= len(old)


async def pdf_response(session: AsyncSession, renderer: PdfRenderer, view: dict[str, Any], filename: str) -> Response:
    """The PDF of a view, shown inline. The request only read: its connection goes back to the pool before a
    render that may wait and take long."""
    await session.commit()
    data = await renderer.render(view)
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(data, media_type="application/pdf", headers=headers)
