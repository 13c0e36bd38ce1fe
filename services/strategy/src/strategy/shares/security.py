"""The public share pages' (/s/...) CSP and headers, applied by vcio_shared.public_pages.PublicPageHeaders: the
pages carry no script and no form."""

from __future__ import annotations

PAGE_PREFIX = "/s/"


def csp(nonce: str) -> str:
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; form-action 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


# Beside the shared public-page headers (vcio_shared.public_pages): a share link is for its client, not for search.
EXTRA_HEADERS = ((b"x-robots-tag", b"noindex"),)
