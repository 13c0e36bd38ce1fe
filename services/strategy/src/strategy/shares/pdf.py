"""PDFs made safely: a bounded number of renders at once per process, and a bounded cache.

The share links' PDFs need no login, so at most `concurrency` renders run at once; a request that cannot start
one within `wait_seconds` gets a 503 problem with `Retry-After`. A PDF is cached under the SHA-256 of its HTML
(least recently used, bounded in entries and bytes), so a second GET of the same document is not rendered again.
The same shape as proposals' `PdfRenderer`, smaller (it does not join a render already in flight)."""

from __future__ import annotations

import functools
import hashlib
import math
import os
from collections import OrderedDict

import anyio
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from strategy.shares.render import html_to_pdf
from vcio_shared.errors import Unavailable

MIB = 1024 * 1024


class PdfRenderer:
    def __init__(
        self, *, concurrency: int = 2, wait_seconds: float = 10.0, max_entries: int = 64, max_bytes: int = 32 * MIB
    ) -> None:
        if concurrency < 1 or wait_seconds <= 0 or max_entries < 0 or max_bytes < 0:
            raise ValueError("PDF renderer limits must be positive")
        self.wait_seconds = wait_seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.slots = anyio.Semaphore(concurrency)
        self.renders = 0  # PDFs rendered by this process (cache hits not counted)
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached_bytes = 0

    @classmethod
    def from_environment(cls) -> PdfRenderer:
        env = os.environ.get
        return cls(
            concurrency=int(env("STRATEGY_PDF_CONCURRENCY", "2")),
            wait_seconds=float(env("STRATEGY_PDF_WAIT_SECONDS", "10")),
            max_entries=int(env("STRATEGY_PDF_CACHE_ENTRIES", "64")),
            max_bytes=int(env("STRATEGY_PDF_CACHE_MB", "32")) * MIB,
        )

    async def render(self, html: str) -> bytes:
        key = hashlib.sha256(html.encode()).hexdigest()
        if (hit := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return hit
        acquired = False
        with anyio.move_on_after(self.wait_seconds):
            await self.slots.acquire()
            acquired = True
        if not acquired:
            raise Unavailable(
                "too many PDFs are being prepared right now; try again shortly",
                headers={"Retry-After": str(math.ceil(self.wait_seconds))},
            )
        try:
            with anyio.CancelScope(shield=True):  # a started render finishes and is cached
                pdf = await anyio.to_thread.run_sync(functools.partial(html_to_pdf, html))
                self.renders += 1
                self._put(key, pdf)
            return pdf
        finally:
            self.slots.release()

    def _put(self, key: str, pdf: bytes) -> None:
        if len(pdf) > self.max_bytes or self.max_entries == 0 or key in self._cache:
            return
        self._cache[key] = pdf
        self._cached_bytes += len(pdf)
        while len(self._cache) > self.max_entries or self._cached_bytes > self.max_bytes:
            _, old = self._cache.popitem(last=False)
            self._cached_bytes -= len(old)


async def pdf_response(session: AsyncSession, renderer: PdfRenderer, html: str, filename: str) -> Response:
    """The PDF of a print-mode page, inline. The request only read: its connection goes back to the pool first."""
    await session.commit()
    data = await renderer.render(html)
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(data, media_type="application/pdf", headers=headers)
