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
        """The PDF of a view from `document.present`: from the cache, or rendered in a worker thread."""
        html = render_pdf_html(view)
        key = f"{view['shown_document_sha256']}:{hashlib.sha256(html.encode()).hexdigest()}"
        if (hit := self._get(key)) is not None:
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
            if (hit := self._get(key)) is not None:  # made by another request while this one waited
                return hit
            pdf = await anyio.to_thread.run_sync(functools.partial(html_to_pdf, html))
            self.renders += 1
            self._put(key, pdf)
            return pdf
        finally:
            self.slots.release()

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
