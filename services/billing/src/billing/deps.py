"""Route dependencies: the billing scopes (what `vcio_shared.auth.scoped` gives, spelled so mypy can read it), and
what the routes of one kind take together: a list (reader, session, page) and an idempotent write (writer,
session, Idempotency-Key, clock)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from vcio_shared.auth import Principal, require
from vcio_shared.clock import Clock
from vcio_shared.db import SessionDep
from vcio_shared.idempotency import Idempotency, IdempotencyDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import PageDep, PageParams

Reader = Annotated[Principal, Depends(require("billing:read"))]
Writer = Annotated[Principal, Depends(require("billing:write"))]


@dataclass(frozen=True)
class ListRequest:
    """A list route's reader, session and page (`after`, `limit`)."""

    principal: Principal
    session: AsyncSession
    page: PageParams


async def _list_request(principal: Reader, session: SessionDep, page: PageDep) -> ListRequest:
    return ListRequest(principal, session, page)


@dataclass(frozen=True)
class OnceRequest:
    """A write that honours Idempotency-Key: its writer, session, key and clock."""

    principal: Principal
    session: AsyncSession
    idem: Idempotency
    clock: Clock

    async def once(self, answer: Callable[[], Awaitable[Any]], status_code: int = 201) -> Any:
        """`answer()`, or the first answer given under the request's key (`Idempotency.once`)."""
        return await self.idem.once(self.principal.tenant_id, answer, status_code)


async def _once_request(principal: Writer, session: SessionDep, idem: IdempotencyDep, clock: ClockDep) -> OnceRequest:
    return OnceRequest(principal, session, idem, clock)


Listing = Annotated[ListRequest, Depends(_list_request)]
Once = Annotated[OnceRequest, Depends(_once_request)]
