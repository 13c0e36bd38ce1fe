"""vcio_shared.documents and public_pages: the filters people read, and the public pages' headers (what proposals'
client page and strategy's share links both use; their own tests cover the PDF renderer through their routes)."""

import datetime as dt

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from vcio_shared.documents import group_money, last_day, long_date
from vcio_shared.public_pages import PublicPageHeaders


def test_the_filters_people_read() -> None:
    assert [group_money(v) for v in ("18000.00", "-1234567.5", "0.00", "999")] == [
        "18,000.00",
        "-1,234,567.5",
        "0.00",
        "999",
    ]
    assert long_date(dt.date(2027, 3, 1)) == "1 March 2027"
    assert long_date("2027-03-01") == "1 March 2027"
    assert long_date(dt.datetime(2027, 3, 1, 15, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == (
        "1 March 2027, 14:05 UTC"
    )
    assert long_date(None) == ""
    assert last_day("2028-01-01") == dt.date(2027, 12, 31) == last_day(dt.date(2028, 1, 1))


async def test_public_pages_get_a_fresh_nonce_and_the_headers_and_nothing_else_does() -> None:
    app = FastAPI()

    @app.get("/p/{token}")
    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.state.csp_nonce, headers={"cache-control": "max-age=60"})

    @app.get("/v1/other")
    async def other() -> PlainTextResponse:
        return PlainTextResponse("api", headers={"cache-control": "max-age=60"})

    app.add_middleware(
        PublicPageHeaders, prefix="/p/", csp=lambda n: f"script-src 'nonce-{n}'", extra=((b"x-robots-tag", b"noindex"),)
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        first, second, other_answer = await http.get("/p/a"), await http.get("/p/a"), await http.get("/v1/other")
    assert first.text != second.text and len(first.text) == 24  # 16 random bytes, base64
    assert first.headers["content-security-policy"] == f"script-src 'nonce-{first.text}'"
    assert first.headers.get_list("cache-control") == ["no-store"]  # the page's own caching is replaced
    assert (first.headers["referrer-policy"], first.headers["x-frame-options"], first.headers["x-robots-tag"]) == (
        "no-referrer",
        "DENY",
        "noindex",
    )
    assert other_answer.headers["cache-control"] == "max-age=60"
    assert "content-security-policy" not in other_answer.headers and "x-robots-tag" not in other_answer.headers
