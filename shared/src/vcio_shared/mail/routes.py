"""`GET /v1/mail`, served by every service whose ServiceSpec says `mail=True`: what it sent, to whom, and how
each message fared (pending, sent, failed with the server's answer). Bodies and attachments are never listed."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from vcio_shared.auth import Principal, require
from vcio_shared.db import SessionDep
from vcio_shared.mail.outbox import MailOut, list_mail
from vcio_shared.schemas import Page, PageDep, page_of


def mail_router(service: str) -> APIRouter:
    """The service's mail log under its own read scope; newest first, paged by `cursor`."""
    router = APIRouter()
    Reader = Annotated[Principal, Depends(require(f"{service}:read"))]

    @router.get("/v1/mail", tags=["operations"])
    async def list_service_mail(
        principal: Reader,
        session: SessionDep,
        page: PageDep,
        client_id: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
        status: Annotated[str | None, Query(pattern="^(pending|sent|failed)$")] = None,
    ) -> Page[MailOut]:
        items = await list_mail(
            session,
            principal.tenant_id,
            client_id=client_id,
            status=status,
            before=page.after,
            limit=page.limit + 1,
        )
        return page_of(items, page.limit)

    return router
