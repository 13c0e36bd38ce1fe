"""A minimal service built on the shared library, so its tests exercise the real outbox/inbox/relay/consumer."""

import dataclasses
import datetime as dt
import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query
from sqlmodel import Field, SQLModel

from vcio_shared import audit, events
from vcio_shared.auth import scoped
from vcio_shared.consumers import ConsumerSpec, PoisonEvent
from vcio_shared.db import SessionDep, make_registry
from vcio_shared.errors import Conflict
from vcio_shared.events import CloudEvent
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.ids import uuid7
from vcio_shared.mail import add_mail_table, enqueue
from vcio_shared.runtime import ServiceSpec
from vcio_shared.schemas import Page, PageDep, RequestModel, page_of

# It borrows the catalog's name (and so its scopes, stream and subjects): the contract's scope list is closed.
SERVICE = "catalog"
registry = make_registry()
add_mail_table(registry.metadata)  # for the mail tests (SPEC_WITH_MAIL); unused otherwise


class Base(SQLModel, registry=registry):
    pass


class Note(Base, table=True):
    __tablename__ = "notes"
    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str
    text: str


class NoteCopy(Base, table=True):
    """What the consumer writes: one row per handled event."""

    __tablename__ = "note_copies"
    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    event_id: str
    note_id: str


class NoteIn(RequestModel):
    text: str = Field(min_length=1, max_length=200)
    tag: str | None = Field(default=None, max_length=50)  # a second key, for bodies that differ only in order


router = APIRouter(prefix="/v1/notes")
Writer = scoped("catalog:write")
Reader = scoped("catalog:read")


@router.post("", status_code=201)
async def create_note(
    body: NoteIn,
    session: SessionDep,
    principal: Writer,
    idem: IdempotencyDep,
    fail: Annotated[bool, Query()] = False,
    mail_to: Annotated[str | None, Query()] = None,
) -> dict[str, str]:
    if (replayed := await idem.replay(principal.tenant_id)) is not None:
        return replayed  # type: ignore[return-value]
    note = Note(tenant_id=principal.tenant_id, text=body.text)
    session.add(note)
    await session.flush()
    await events.emit(
        session,
        SERVICE,
        "vcio.catalog.note.created",
        principal.tenant_id,
        {"id": str(note.id), "text": note.text},
        subject=str(note.id),
    )
    await audit.record(session, principal, "note.created", "note", note.id, {"text": body.text})
    if mail_to is not None:  # in the same transaction: it goes only if the note commits
        await enqueue(
            session,
            tenant_id=principal.tenant_id,
            cause=f"note.created:{note.id}",
            to=[mail_to],
            subject=f"Note: {body.text}",
            text=body.text,
            client_id=body.tag,
            now=dt.datetime.now(dt.UTC),
        )
    if fail:
        raise Conflict("asked to fail after writing")
    return await idem.remember(201, {"id": str(note.id), "text": note.text})


@router.get("")
async def list_notes(session: SessionDep, principal: Reader, page: PageDep) -> Page[dict[str, str]]:
    q = sa.select(Note).where(Note.tenant_id == principal.tenant_id).order_by(Note.id).limit(page.limit + 1)
    if page.after:
        q = q.where(Note.id > page.after)
    rows = (await session.scalars(q)).all()
    return page_of(
        [{"id": str(n.id), "text": n.text} for n in rows], page.limit, id_of=lambda item: uuid.UUID(item["id"])
    )


class Behaviour:
    """Tests steer the handler: fail N times transiently, or treat some texts as poison."""

    transient_failures = 0
    calls = 0


async def copy_note(session, event: CloudEvent) -> None:  # type: ignore[no-untyped-def]
    Behaviour.calls += 1
    if event.data.get("text") == "poison":
        raise PoisonEvent("this note can never be copied")
    if Behaviour.transient_failures > 0:
        Behaviour.transient_failures -= 1
        raise ConnectionError("pretend the database went away")
    session.add(NoteCopy(event_id=event.id, note_id=event.data["id"]))


CONSUMER = ConsumerSpec(
    name="catalog--note-copier",
    stream="CATALOG",
    subjects=("vcio.catalog.note.created",),
    handler=copy_note,
    max_deliver=3,
)
SPEC = ServiceSpec(name=SERVICE, title="notes (test service)", routers=[router], consumers=[CONSUMER])
SPEC_WITH_MAIL = dataclasses.replace(SPEC, mail=True)
