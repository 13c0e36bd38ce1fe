"""The services' public HTTP APIs, called with the signed-in user's bearer token: nothing else reaches them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from vcio_console.signin import SignInRequired, User

MAX_PAGE = 200  # the APIs' largest ?limit=


class PageNotFound(Exception):
    """The thing asked for does not exist for this tenant (the API's 404, or an id that is not a UUID)."""


class Refused(Exception):
    """A service refused what the page asked for (403 without the scope, 422 for a bad filter): a 4xx here too."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


class ServiceUnavailable(Exception):
    """A service did not answer, or answered something the console cannot show."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service


def _detail(response: httpx.Response) -> str:
    """The problem's detail, as the service said it."""
    try:
        return str(response.json().get("detail") or response.reason_phrase)
    except ValueError:
        return response.reason_phrase


def as_uuid(value: str) -> str:
    """A path id as the APIs take it; anything else is a 404, as the API would answer for another tenant's."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise PageNotFound from None


class Api:
    """One httpx.AsyncClient for the app, and the base URL of each service."""

    def __init__(self, urls: dict[str, str], timeout: float, transport: httpx.AsyncBaseTransport | None = None):
        self.urls = urls
        self.http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def close(self) -> None:
        await self.http.aclose()

    def as_user(self, user: User) -> Calls:
        return Calls(self, user)


class Calls:
    """The API calls of one request, as one user."""

    def __init__(self, api: Api, user: User) -> None:
        self.api = api
        self.headers = {"authorization": f"Bearer {user.token}", "accept": "application/json"}

    async def get(self, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET one resource: its JSON; PageNotFound for a 404, SignInRequired for a 401."""
        return (await self._get(service, path, params, self.headers)).json()

    async def pdf(self, service: str, path: str, params: dict[str, Any] | None = None) -> bytes:
        """GET a document as PDF (an invoice, a delivery report): its bytes."""
        return (await self._get(service, path, params, {**self.headers, "accept": "application/pdf"})).content

    async def html(self, service: str, path: str, params: dict[str, Any] | None = None) -> bytes:
        """GET a page a service renders (a proposal's preview): its bytes."""
        return (await self._get(service, path, params, {**self.headers, "accept": "text/html"})).content

    async def _get(
        self, service: str, path: str, params: dict[str, Any] | None, headers: dict[str, str]
    ) -> httpx.Response:
        return await self._call("GET", service, path, params=params, headers=headers)

    async def send(
        self,
        method: str,
        service: str,
        path: str,
        body: Any = None,
        *,
        idempotency_key: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """POST, PUT, PATCH or DELETE as the user: the answer's JSON (None for 204)."""
        headers = dict(self.headers)
        if idempotency_key:
            headers["idempotency-key"] = idempotency_key
        response = await self._call(method, service, path, params=params, headers=headers, body=body)
        return None if response.status_code == 204 or not response.content else response.json()

    async def _call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        params: dict[str, Any] | None,
        headers: dict[str, str],
        body: Any = None,
    ) -> httpx.Response:
        """One request as the user. A 404 is PageNotFound, a 401 SignInRequired; any other 4xx (403, 409, 422,
        429) is Refused with the service's detail, for the page to show; no answer or anything else is
        ServiceUnavailable."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = self.api.urls[service] + path
        try:
            response = await self.api.http.request(method, url, json=body, params=query, headers=headers)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(service, f"no answer ({type(exc).__name__})") from exc
        if response.status_code == 404:
            raise PageNotFound
        if response.status_code == 401:
            raise SignInRequired
        if 400 <= response.status_code < 500:
            raise Refused(response.status_code, _detail(response))
        if response.status_code not in (200, 201, 202, 204):
            raise ServiceUnavailable(service, f"{response.status_code} for {method} {path}")
        return response

    async def page(self, service: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One page of a list: {"items", "next_cursor"}."""
        return await self.get(service, path, {"limit": MAX_PAGE, **(params or {})})  # type: ignore[no-any-return]

    async def every(self, service: str, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of a list, following next_cursor."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await self.page(service, path, {**(params or {}), "cursor": cursor})
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items
