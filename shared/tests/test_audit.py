"""The audit log's writers: one row at a time and in bulk, the same rows."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.tests.conftest import sql
from vcio_shared import audit
from vcio_shared.db import create_engine
from vcio_shared.settings import to_driver_url

AT = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


async def test_record_many_writes_what_record_writes(notes_db: str) -> None:
    engine = create_engine(to_driver_url(notes_db, "asyncpg"))
    one, two = uuid.uuid4(), uuid.uuid4()
    try:
        async with AsyncSession(engine) as session, session.begin():
            await audit.record(session, "system", "x.done", "x", one, {"n": 1}, tenant_id="t1", at=AT)
            await audit.record_many(
                session, [audit.entry("system", "x.done", "x", two, {"n": 1}, tenant_id="t1", at=AT)]
            )
            await audit.record_many(session, [])
    finally:
        await engine.dispose()
    rows = sql(notes_db, "SELECT tenant_id, actor, action, entity_type, entity_id, changes, at FROM audit_log")
    assert sorted(rows, key=lambda r: str(r[4])) == sorted(
        [("t1", "system", "x.done", "x", str(e), {"n": 1}, AT) for e in (one, two)], key=lambda r: str(r[4])
    )
