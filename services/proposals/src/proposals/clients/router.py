"""Client routes (thin)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from proposals.clients import repository, service
from proposals.clients.schemas import ClientCreate, ClientOut, ClientUpdate, public
from proposals.deps import Reader, Writer
from vcio_shared.db import SessionDep
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import NO_NUL, Page, PageDep, page_of

router = APIRouter(prefix="/v1/clients", tags=["clients"])
MAX_IDS = 200  # as many as the largest page
_UUID = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
IDS = rf"^{_UUID}(,{_UUID}){{0,{MAX_IDS - 1}}}$"  # the schema states the whole rule: 1 to 200 ids, commas between


@router.post("", status_code=201, response_model=ClientOut)
async def create_client(
    body: ClientCreate, principal: Writer, session: SessionDep, idem: IdempotencyDep, clock: ClockDep
) -> Any:
    return await idem.once(principal.tenant_id, lambda: service.create(session, principal, body, clock.now()))


@router.get("")
async def list_clients(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    email: Annotated[str | None, Query(max_length=254, pattern=NO_NUL)] = None,
    q: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    ids: Annotated[str | None, Query(max_length=MAX_IDS * 37, pattern=IDS)] = None,
) -> Page[ClientOut]:
    """The tenant's clients by id; `email=` exactly, `q=` a piece of the name or e-mail in any case, `ids=` a
    comma-separated batch (at most 200) so a page can name its clients in one call. The filters combine."""
    wanted = id_list(ids) if ids is not None else None
    search = (q.strip() or None) if q is not None else None
    rows = await repository.list_page(session, principal.tenant_id, page.after, page.limit, email, search, wanted)
    return page_of([public(r) for r in rows], page.limit)


def id_list(ids: str) -> list[uuid.UUID]:
    """`a,b,c` as UUIDs (the query's pattern has checked their shape and number)."""
    return [uuid.UUID(p) for p in ids.split(",")]


@router.get("/{client_id}")
async def get_client(client_id: uuid.UUID, principal: Reader, session: SessionDep) -> ClientOut:
    return public(await service.get(session, principal.tenant_id, client_id))


@router.patch("/{client_id}")
async def update_client(
    client_id: uuid.UUID, body: ClientUpdate, principal: Writer, session: SessionDep, clock: ClockDep
) -> ClientOut:
    return public(await service.update(session, principal, client_id, body, clock.now()))
