"""Route dependencies: the billing scopes (what `vcio_shared.auth.scoped` gives, spelled so mypy can read it), and
what each kind of route takes as one parameter: Reading, Listing (+ page), Writing (+ clock) and Once (a write
that honours Idempotency-Key)."""

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
class ReadRequest:
    """A reading route's principal (billing:read) and session."""

    principal: Principal
    session: AsyncSession


@dataclass(frozen=True)
class ListRequest(ReadRequest):
    """A list route's reader, session and page (`after`, `limit`)."""

    page: PageParams


@dataclass(frozen=True)
class WriteRequest(ReadRequest):
    """A writing route's principal (billing:write), session and clock."""

    clock: Clock


@dataclass(frozen=True)
class OnceRequest(WriteRequest):
    """A write that honours Idempotency-Key: its writer, session, clock and key."""

    idem: Idempotency

    async def once(self, answer: Callable[[], Awaitable[Any]], status_code: int = 201) -> Any:
        """`answer()`, or the first answer given under the request's key (`Idempotency.once`)."""
        return await self.idem.once(self.principal.tenant_id, answer, status_code)


async def _read_request(principal: Reader, session: SessionDep) -> ReadRequest:
    return ReadRequest(principal, session)


async def _list_request(principal: Reader, session: SessionDep, page: PageDep) -> ListRequest:
    return ListRequest(principal, session, page)


async def _write_request(principal: Writer, session: SessionDep, clock: ClockDep) -> WriteRequest:
    return WriteRequest(principal, session, clock)


async def _once_request(principal: Writer, session: SessionDep, idem: IdempotencyDep, clock: ClockDep) -> OnceRequest:
    return OnceRequest(principal, session, clock, idem)


Reading = Annotated[ReadRequest, Depends(_read_request)]
Listing = Annotated[ListRequest, Depends(_list_request)]
Writing = Annotated[WriteRequest, Depends(_write_request)]
Once = Annotated[OnceRequest, Depends(_once_request)]
