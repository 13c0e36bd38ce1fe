"""GET and PUT of a document each tenant holds exactly one of (the MSP profile, the scheduler's settings)."""

# No `from __future__ import annotations`: the routes' annotations are the objects FastAPI reads.
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from vcio_shared.auth import Principal
from vcio_shared.db import SessionDep
from vcio_shared.runtime import ClockDep


def tenant_document(
    router: APIRouter,
    name: str,
    scopes: tuple[Any, Any],
    models: tuple[type[BaseModel], type[BaseModel]],
    get: Callable[[AsyncSession, str], Awaitable[Any]],
    put: Callable[[AsyncSession, Principal, Any, dt.datetime], Awaitable[Any]],
) -> None:
    """Add `GET ""` (`get(session, tenant_id)`) and `PUT ""` (`put(session, principal, body, now)`), answering
    the `out` model, to `router`; `scopes` is the service's (Reader, Writer), `models` (out, body). The routes
    are named get_<name> and put_<name>, which their OpenAPI operation ids follow."""
    (reader, writer), (out, body) = scopes, models

    async def read(principal, session):  # type: ignore[no-untyped-def]
        return await get(session, principal.tenant_id)

    async def write(body, principal, session, clock):  # type: ignore[no-untyped-def]
        return await put(session, principal, body, clock.now())

    read.__annotations__ = {"principal": reader, "session": SessionDep, "return": out}
    write.__annotations__ = {"body": body, "principal": writer, "session": SessionDep, "clock": ClockDep, "return": out}
    router.add_api_route("", read, methods=["GET"], name=f"get_{name}", response_model=out)
    router.add_api_route("", write, methods=["PUT"], name=f"put_{name}", response_model=out)
