"""The app factory: one shape for every service, with its database, bus, relay, consumers and sweeps."""

import asyncio
import contextlib
import datetime as dt
import gc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import asyncpg
import sqlalchemy as sa
import structlog
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vcio_shared import logging as vlog
from vcio_shared.auth import Principal, TokenVerifier, require
from vcio_shared.clock import Clock
from vcio_shared.connection import Bus
from vcio_shared.consumers import ConsumerRunner, ConsumerSpec, ReplayFailed, replay_dead_letter
from vcio_shared.db import OUTBOX_WRITTEN, Reader, SessionDep, advisory_xact_lock, create_engine, make_sessionmaker
from vcio_shared.errors import Conflict, NotFound, install_handlers
from vcio_shared.http import HotRead, PlatformMiddleware, install_cors
from vcio_shared.mail import MAIL_WRITTEN, MailSender, SmtpSettings
from vcio_shared.mail.routes import mail_router
from vcio_shared.openapi import install_openapi
from vcio_shared.outbox import OutboxRelay
from vcio_shared.relay import RelayProcess
from vcio_shared.schemas import Page, PageDep, PageParams, ResponseModel, page_of
from vcio_shared.settings import Settings, to_driver_url

log = structlog.get_logger("vcio.runtime")
STOP_WAIT_S = 5.0  # how long stop() waits for each part of the runtime before it goes on without it

M = TypeVar("M", bound=ResponseModel)
Sweep = Callable[[AsyncSession, "Runtime"], Awaitable[Any]]


@dataclass(frozen=True)
class PeriodicTask:
    """A sweep run every `interval` seconds under an advisory lock, so one replica of many runs it."""

    name: str
    interval: float
    run: Sweep


@dataclass
class ServiceSpec:
    """What makes a service itself: its name, routers, consumers and sweeps."""

    name: str
    routers: Sequence[APIRouter]
    title: str = ""  # the OpenAPI document's title; "vcio <name>" when empty
    consumers: Sequence[ConsumerSpec] = ()
    periodic: Sequence[PeriodicTask] = ()
    description: str = ""
    on_startup: Sequence[Callable[["Runtime"], Awaitable[None]]] = field(default_factory=list)
    hot_reads: Sequence[HotRead] = ()  # GETs answered before the router (http.HotRead); their routes stay
    mail: bool = False  # it sends mail: a `mail` table (migration), the sender, `GET /v1/mail`, mail.sent|failed


async def _keep_session(_conn: asyncpg.Connection) -> None:
    return None


class Runtime:
    """The process-wide parts a service runs on; reachable as `request.app.state.runtime`."""

    def __init__(
        self,
        spec: ServiceSpec,
        settings: Settings,
        clock: Clock | None = None,
        engine: AsyncEngine | None = None,
        run_background: bool = True,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.clock = clock or Clock()
        self.engine = engine or create_engine(settings.async_database_url)
        # session.info flag -> the wake of the worker it concerns; `wake_on_commit` adds a service's own
        self.commit_wakes: dict[str, Callable[[], None]] = {OUTBOX_WRITTEN: self._wake_relay}
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine, wakes=self.commit_wakes)
        self.verifier = TokenVerifier(settings)
        self.bus = Bus(settings.nats_url, spec.name, replicas=settings.stream_replicas)
        self.relay: OutboxRelay | RelayProcess = (
            RelayProcess(settings, spec.name)
            if settings.relay_process
            else OutboxRelay(
                self.sessionmaker,
                self.bus,
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval,
            )
        )
        self.consumers = [ConsumerRunner(c, self.bus, self.sessionmaker) for c in spec.consumers]
        self.run_background = run_background
        self.reader_pool: asyncpg.Pool = asyncpg.create_pool(
            to_driver_url(settings.database_url, "asyncpg").replace("postgresql+asyncpg://", "postgresql://", 1),
            min_size=0,  # no connection at start: a service starts while PostgreSQL is still coming up
            max_size=settings.reader_pool_size,
            timeout=5,
            command_timeout=60,
            server_settings={"jit": "off"},
            reset=_keep_session,  # readers change no session state: skip the reset query on every release
        )
        self.reader = Reader(self.reader_pool)
        self._tasks: list[asyncio.Task[None]] = []
        self.extras: dict[str, Any] = {}
        self.mail: MailSender | None = None  # with spec.mail and VCIO_SMTP_URL; without a URL mail waits queued
        if spec.mail and settings.smtp_url:
            smtp = SmtpSettings.from_url(settings.smtp_url)
            self.mail = MailSender(self.sessionmaker, smtp, settings.mail_from, self.clock, service=spec.name)
            self.wake_on_commit(MAIL_WRITTEN, self.mail.wake)

    def wake_on_commit(self, flag: str, wake: Callable[[], None]) -> None:
        """Call `wake` after every commit that set `session.info[flag]` (a service's own background worker)."""
        self.commit_wakes[flag] = wake

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run `work` in the background until the runtime stops (a service's own worker, from on_startup)."""
        self._tasks.append(asyncio.create_task(work, name=name))

    async def start(self) -> None:
        """Open the reader pool and the bus; with background work, start the relay, consumers and sweeps."""
        await self.reader_pool
        self.bus.start()
        if not self.run_background:
            return
        self.relay.start()
        for consumer in self.consumers:
            consumer.start()
        for task in self.spec.periodic:
            self._tasks.append(asyncio.create_task(self._periodic(task), name=f"sweep:{task.name}"))
        if self.mail is not None:
            self.mail.start()
        for hook in self.spec.on_startup:
            await hook(self)

    async def stop(self) -> None:
        """Stop sweeps, consumers and the relay, then close NATS and the database pools."""
        # Every wait is bounded: a task that swallows its cancellation (nats-py's fetch can) must not hold the
        # process after SIGTERM, where nothing outside would ever end it.
        if self.mail is not None:
            await self.mail.stop()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=STOP_WAIT_S)
            for task in stuck:
                log.warning("background task did not stop", task=task.get_name(), waited_s=STOP_WAIT_S)
        for consumer in self.consumers:
            consumer.request_stop()
        await self.relay.stop()
        try:  # a closed connection also ends any fetch still waiting
            await asyncio.wait_for(self.bus.close(), STOP_WAIT_S)
        except TimeoutError:
            log.warning("NATS connection did not close", waited_s=STOP_WAIT_S)
        for consumer in self.consumers:
            await consumer.stop()
        await self.engine.dispose()
        try:
            await asyncio.wait_for(self.reader_pool.close(), 5)
        except TimeoutError:
            self.reader_pool.terminate()

    async def run_sweep(self, task: PeriodicTask) -> Any:
        """Run one sweep now, under its advisory lock; None when another replica holds it."""
        async with self.sessionmaker() as session, session.begin():
            if not await advisory_xact_lock(session, f"{self.spec.name}:{task.name}"):
                return None
            return await task.run(session, self)

    def _wake_relay(self) -> None:
        """Called by the session factory after each commit that wrote outbox rows."""
        self.relay.wake()

    async def _periodic(self, task: PeriodicTask) -> None:
        while True:
            try:
                await self.run_sweep(task)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("sweep failed", sweep=task.name, error=str(exc) or type(exc).__name__)
            await asyncio.sleep(task.interval)

    async def readiness(self) -> dict[str, str]:
        """Each dependency "ok" or "down", for `/readyz`."""
        checks = {"database": "ok", "nats": "ok" if self.bus.is_connected else "down"}
        try:
            async with asyncio.timeout(2):
                async with self.engine.connect() as conn:
                    await conn.execute(sa.text("SELECT 1"))
        except Exception:
            checks["database"] = "down"
        return checks


class DeadLetterOut(ResponseModel):
    id: uuid.UUID
    consumer: str
    event_id: str | None
    subject: str
    status: str
    error: str
    deliveries: int
    created_at: dt.datetime
    replayed_at: dt.datetime | None


class AuditEntryOut(ResponseModel):
    id: uuid.UUID
    actor: str
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any]
    at: dt.datetime


async def _tenant_page(
    session: AsyncSession, table: str, column: str, value: str | None, tenant_id: str, page: PageParams, model: type[M]
) -> Page[M]:
    """A page of a platform table's rows of one tenant, in id order, where `column` equals `value` if given.
    `table` and `column` are names from this module, never input."""
    rows = (
        (
            await session.execute(
                sa.text(
                    f"SELECT * FROM {table} WHERE tenant_id = :t AND (CAST(:v AS text) IS NULL OR {column} = :v) "  # noqa: S608
                    "AND (CAST(:after AS uuid) IS NULL OR id > :after) ORDER BY id LIMIT :n"
                ),
                {"t": tenant_id, "v": value, "after": page.after, "n": page.limit + 1},
            )
        )
        .mappings()
        .all()
    )
    return page_of([model.model_validate(dict(r)) for r in rows], page.limit)


def _platform_router(service: str) -> APIRouter:
    """The routes every service serves besides its own."""
    router = APIRouter()
    _add_probes(router)
    _add_operations(router, service)
    return router


def _add_probes(router: APIRouter) -> None:
    """`/healthz`, `/readyz` and `/metrics`."""

    @router.get("/healthz", tags=["platform"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", tags=["platform"], responses={503: {"description": "a dependency is down"}})
    async def readyz(request: Request) -> JSONResponse:
        checks = await request.app.state.runtime.readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    @router.get("/metrics", tags=["platform"], response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)


def _add_operations(router: APIRouter, service: str) -> None:
    """Dead letters (list, replay) and the audit log, each under the service's own read or write scope."""
    Reader = Annotated[Principal, Depends(require(f"{service}:read"))]
    Writer = Annotated[Principal, Depends(require(f"{service}:write"))]

    @router.get("/v1/dead-letters", tags=["operations"])
    async def list_dead_letters(
        principal: Reader,
        session: SessionDep,
        page: PageDep,
        status: Annotated[str | None, Query(pattern="^(dead|replayed)$")] = None,
    ) -> Page[DeadLetterOut]:
        return await _tenant_page(session, "dead_letters", "status", status, principal.tenant_id, page, DeadLetterOut)

    @router.post("/v1/dead-letters/{dead_letter_id}/replay", tags=["operations"])
    async def replay(dead_letter_id: uuid.UUID, principal: Writer, request: Request) -> dict[str, Any]:
        runtime: Runtime = request.app.state.runtime
        specs = {c.name: c for c in runtime.spec.consumers}
        try:
            result = await replay_dead_letter(runtime.sessionmaker, specs, principal.tenant_id, dead_letter_id)
        except ReplayFailed as exc:
            raise Conflict(f"the handler failed again: {exc}") from exc
        if result is None:
            raise NotFound("no such dead letter")
        return result

    @router.get("/v1/audit", tags=["operations"])
    async def audit(
        principal: Reader,
        session: SessionDep,
        page: PageDep,
        entity_id: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
    ) -> Page[AuditEntryOut]:
        return await _tenant_page(
            session, "audit_log", "entity_id", entity_id, principal.tenant_id, page, AuditEntryOut
        )


def create_app(
    spec: ServiceSpec, settings: Settings, *, clock: Clock | None = None, run_background: bool = True
) -> FastAPI:
    """Build a service's FastAPI app. `run_background=False` leaves the relay/consumers/sweeps to the test."""
    vlog.configure(spec.name, settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(spec, settings, clock=clock, run_background=run_background)
        app.state.runtime = runtime
        await runtime.start()
        # What is alive now (modules, routes, the OpenAPI models) lives as long as the process: keep the cyclic
        # collector off it, and collect the young generation less often. Requests and billing runs allocate
        # many short-lived acyclic objects, and at the default threshold (700) collections run too often.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        try:
            yield
        finally:
            await runtime.stop()

    # FastAPI's native OpenTelemetry hooks look up the tracer/meter/logger providers on every request; the
    # platform has its own metrics (/metrics) and structured logs, so they are off.
    app = FastAPI(
        title=spec.title or f"vcio {spec.name}",
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_handlers(app)
    install_openapi(app)
    for router in spec.routers:  # matched in this order, so the service's own routes come first
        app.include_router(router)
    app.include_router(_platform_router(spec.name))
    if spec.mail:
        app.include_router(mail_router(spec.name))
    app.add_middleware(PlatformMiddleware, max_body_bytes=settings.max_body_bytes, hot_reads=spec.hot_reads)
    install_cors(app, settings.cors_origins)  # outermost: it wraps PlatformMiddleware's own answers too
    return app


async def get_clock(request: Request) -> Clock:  # async: no thread-pool hop per request
    """The service's clock, for `ClockDep`."""
    return request.app.state.runtime.clock  # type: ignore[no-any-return]


ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_runtime(request: Request) -> Runtime:
    """The service's runtime, for `RuntimeDep`."""
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
