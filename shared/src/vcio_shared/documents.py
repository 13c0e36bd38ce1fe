"""What a client is shown, written once: the Jinja2 environment with the filters people read (grouped money, long
dates, an end-exclusive date's last day), WeasyPrint's PDF, and a PDF renderer bounded for routes that need no
login.

A PDF can take seconds and hundreds of MiB to render, and a public link (`/p/{token}/pdf`, `/s/{token}/pdf`) needs no
login. So `PdfRenderer` runs at most `concurrency` renders at once in the process; a request that cannot start one
within `wait_seconds` gets a 503 problem with `Retry-After` instead of piling up, and requests for a document being
rendered wait for that render. Rendered PDFs are cached under the SHA-256 of their HTML (after a caller's prefix),
least recently used, bounded in entries and in bytes."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import os
from collections import OrderedDict
from pathlib import Path

import anyio
import jinja2
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from vcio_shared.errors import Unavailable

MIB = 1024 * 1024


def group_money(value: str) -> str:
    """ "18000.00" → "18,000.00" for people; the APIs keep the plain decimal string."""
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    whole, dot, frac = digits.partition(".")
    return f"{sign}{int(whole):,}{dot}{frac}"


def long_date(value: dt.date | dt.datetime | str | None) -> str:
    """1 March 2027; a moment as 1 March 2027, 14:05 UTC."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%-d %B %Y, %H:%M UTC")
    return value.strftime("%-d %B %Y")


def last_day(value: dt.date | str) -> dt.date:
    """An end-exclusive date (a term's, a period's) as the last day it covers, for people."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return day - dt.timedelta(days=1)


def template_env(templates: Path) -> jinja2.Environment:
    """A service's document templates: autoescaped, strict, with the money, long_date and last_day filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = group_money
    env.filters["long_date"] = long_date
    env.filters["last_day"] = last_day
    return env


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint, fetching nothing outside the document. Slow and memory-hungry: routes go through PdfRenderer."""
    # Imported here: WeasyPrint takes seconds to import, and most processes never render a PDF.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=["data"])).write_pdf()  # type: ignore[no-any-return]


class PdfRenderer:
    """Bounded PDF rendering with a per-document cache (see the module's docstring)."""

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
    def from_environment(cls, service: str, *, max_entries: int = 128, max_mib: int = 64) -> PdfRenderer:
        """Limits from `<SERVICE>_PDF_CONCURRENCY`, `_PDF_WAIT_SECONDS`, `_PDF_CACHE_ENTRIES`, `_PDF_CACHE_MB`."""
        env, prefix = os.environ.get, f"{service.upper()}_PDF"
        return cls(
            concurrency=int(env(f"{prefix}_CONCURRENCY", "2")),
            wait_seconds=float(env(f"{prefix}_WAIT_SECONDS", "10")),
            max_entries=int(env(f"{prefix}_CACHE_ENTRIES", str(max_entries))),
            max_bytes=int(env(f"{prefix}_CACHE_MB", str(max_mib))) * MIB,
        )

    @property
    def cached(self) -> tuple[int, int]:
        """(entries, bytes) held now."""
        return len(self._cache), self._cached_bytes

    async def render(self, html: str, key_prefix: str = "") -> bytes:
        """The PDF of `html`: from the cache, or rendered in a worker thread. Requests for a document already being
        rendered wait for that render instead of starting another."""
        key = f"{key_prefix}{hashlib.sha256(html.encode()).hexdigest()}"
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


async def pdf_response(
    session: AsyncSession, renderer: PdfRenderer, html: str, filename: str, key_prefix: str = ""
) -> Response:
    """The PDF of a print-mode page, inline. The request only read: its connection goes back to the pool before a
    render that may wait and take long."""
    await session.commit()
    data = await renderer.render(html, key_prefix)
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(data, media_type="application/pdf", headers=headers)
