"""The async engine, the per-request unit of work, and the platform tables every service database has."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg
import orjson
import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, registry

from vcio_shared.errors import Unavailable, database_unavailable

if TYPE_CHECKING:
    from vcio_shared.runtime import Runtime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_registry() -> registry:
    """A service's own SQLAlchemy registry: its own metadata, with the naming convention and platform tables."""
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    add_platform_tables(metadata)
    return registry(metadata=metadata)


def add_platform_tables(metadata: sa.MetaData) -> None:
    """The outbox, inbox, dead letters, idempotency keys and audit log, identical in every service database."""
    _add_event_tables(metadata)
    _add_request_tables(metadata)


def _uuid_id() -> sa.Column[Any]:
    """A uuid primary key named `id` (a uuid7, so ids sort in creation order)."""
    return sa.Column("id", pg.UUID(as_uuid=True), primary_key=True)


def _written_at(name: str) -> sa.Column[Any]:
    """A timestamp PostgreSQL fills in when the row is written."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _add_event_tables(metadata: sa.MetaData) -> None:
    """The event path's tables: the outbox (events to publish), the inbox (events handled), dead letters."""
    sa.Table(
        "outbox",
        metadata,
        _uuid_id(),
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        _written_at("created_at"),
        # Never set by the relay, which deletes what it publishes; a row marked here is skipped, not published.
        sa.Column("published_at", sa.DateTime(timezone=True)),
        # A batch row (`events.emit_batch`): the ids of the events in `payload`, one JSON document per line.
        # NULL for a row holding one event, whose id is `id`.
        sa.Column("event_ids", pg.ARRAY(pg.UUID(as_uuid=True))),
    )
    sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        _written_at("processed_at"),
    )
    sa.Table(
        "dead_letters",
        metadata,
        _uuid_id(),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("tenant_id", sa.Text),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="dead"),
        _written_at("created_at"),
        sa.Column("replayed_at", sa.DateTime(timezone=True)),
    )


def _add_request_tables(metadata: sa.MetaData) -> None:
    """The request path's tables: idempotency keys and the audit log."""
    sa.Table(
        "idempotency_keys",
        metadata,
        sa.Column("tenant_id", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("response", pg.JSONB),
        _written_at("created_at"),
    )
    sa.Table(
        "audit_log",
        metadata,
        _uuid_id(),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("entity_type", sa.Text, nullable=False),
        sa.Column("entity_id", sa.Text, nullable=False),
        sa.Column("changes", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_audit_log_tenant_at", "tenant_id", "at"),
    )


def create_engine(async_url: str, **kwargs: Any) -> AsyncEngine:
    """An asyncpg engine. No pre-ping: the asyncpg dialect pings with BEGIN, `;` and ROLLBACK, three round trips
    on every checkout. Instead a checkout refuses a connection asyncpg knows is closed (PostgreSQL restarted). A
    connection that dies unnoticed fails its statement as a disconnect: SQLAlchemy invalidates the whole pool,
    and that request is answered 503 with Retry-After."""
    # Keep as many connections as requests in flight: an overflow connection is closed when it comes back to a
    # full pool, and reopening one costs a backend fork in PostgreSQL and a handshake. Hot reads have their own
    # pool (`reader_of`).
    kwargs.setdefault("pool_size", 24)
    kwargs.setdefault("max_overflow", 8)
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_timeout", 5)
    # JIT compiles plans for milliseconds on queries that run in microseconds.
    kwargs.setdefault("connect_args", {"timeout": 5, "command_timeout": 60, "server_settings": {"jit": "off"}})
    # JSON and JSONB columns through orjson, faster than the standard library on write-heavy routes. Integer keys
    # become strings, as json.dumps makes them.
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    engine = create_async_engine(async_url, **kwargs)
    sa.event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pre-ping without the round trips: a restarted PostgreSQL closed its connections, asyncpg noticed when
    the socket closed, and the pool replaces such a connection before a request gets it."""
    if dbapi_connection.driver_connection.is_closed():
        raise sa.exc.DisconnectionError("PostgreSQL closed this connection")


OUTBOX_WRITTEN = "outbox_written"  # set in `session.info` by `events.emit*` when the transaction wrote outbox rows


def make_sessionmaker(
    engine: AsyncEngine,
    *,
    on_outbox_commit: Callable[[], None] | None = None,
    wakes: Mapping[str, Callable[[], None]] | None = None,
) -> async_sessionmaker[AsyncSession]:
    """The service's session factory. `wakes` maps a flag that code sets in `session.info` when it writes work
    for a background worker (`OUTBOX_WRITTEN` for the relay, a service's own for its senders) to the worker's
    `wake`; every commit that set a flag calls its wake, whoever committed: a route's unit of work, a consumer's
    handler, a sweep, a billing run's chunk. So work starts as soon as it is committed, not at the next poll.
    The mapping is read at each commit, so a worker started later can add itself. `on_outbox_commit` is
    shorthand for `{OUTBOX_WRITTEN: on_outbox_commit}`."""
    if on_outbox_commit is not None:
        wakes = {OUTBOX_WRITTEN: on_outbox_commit, **(wakes or {})}
    if wakes is None:
        return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
    live = wakes

    class OutboxSession(Session):
        """A Session class of this factory's own, so its hooks fire for this factory only."""

    def after_commit(session: Session) -> None:
        for flag, wake in list(live.items()):
            if session.info.pop(flag, False):
                wake()

    def after_rollback(session: Session) -> None:
        for flag in list(live):
            session.info.pop(flag, None)  # rolled back: nothing to do

    sa.event.listen(OutboxSession, "after_commit", after_commit)
    sa.event.listen(OutboxSession, "after_rollback", after_rollback)
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True, sync_session_class=OutboxSession)


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session, inside its transaction: for bulk paths (COPY, wide reads)
    where SQLAlchemy's per-row result processing is the cost."""
    raw = await (await session.connection()).get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: services never commit; this commits once, after the route returns (the
    session factory wakes the relay if it wrote events)."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


class Reader:
    """One statement at a time on a bare pooled asyncpg connection, outside any transaction: no BEGIN/COMMIT
    round trips, no ORM, and no reset query when the connection goes back (`Runtime.reader_pool`).

    For the hottest reads only (GET /v1/invoices/{id}): a single statement is consistent on its own. A
    connection that fails as PostgreSQL goes away is answered 503 with Retry-After, like the ORM path."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        """One row of one statement, or None; 503 when the database is away."""
        try:
            async with self.pool.acquire() as conn:
                return await conn.fetchrow(query, *args)
        except Exception as exc:
            if database_unavailable(exc):
                raise Unavailable("the database is unavailable; retry shortly", headers={"Retry-After": "2"}) from exc
            raise


def reader_of(request: Request) -> Reader:
    """The app's bare reader. Taken in the route from its `Request`, not as a dependency: in FastAPI each
    dependency costs tens of microseconds a request, a large share of the hottest read."""
    return request.app.state.runtime.reader  # type: ignore[no-any-return]


# scope="function": commit runs when the route returns, before the answer is sent, so a failed commit is
# answered as an error rather than after a 2xx has gone out.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def advisory_xact_lock(session: AsyncSession, name: str) -> bool:
    """Try to take a transaction-scoped advisory lock, so that one replica of many does a sweep."""
    got = await session.scalar(sa.text("SELECT pg_try_advisory_xact_lock(hashtextextended(:n, 0))"), {"n": name})
    return bool(got)
