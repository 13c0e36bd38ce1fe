"""One row of a tenant's table by id, compiled: the tenant is always matched, the lock only when asked."""

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from shared.tests.test_pages import T  # things: id, tenant_id, status, client_id
from vcio_shared import rows

ROW = uuid.UUID("0190f5b2-7c1a-7000-8000-000000000001")


def _compiled(statement: sa.Executable) -> tuple[str, dict]:
    compiled = statement.compile(dialect=postgresql.dialect())
    return " ".join(str(compiled).split()), compiled.params


def test_one_matches_the_tenant_and_the_id_and_locks_only_when_asked() -> None:
    sql, params = _compiled(rows.one(T, "t1", ROW))
    assert sql.endswith("FROM things WHERE things.tenant_id = %(tenant_id_1)s::VARCHAR AND things.id = %(id_1)s::UUID")
    assert params == {"tenant_id_1": "t1", "id_1": ROW}
    locked, _ = _compiled(rows.one(T, "t1", ROW, for_update=True))
    assert locked == sql + " FOR UPDATE"


def test_update_one_sets_the_values_on_the_tenants_row_and_returns_it() -> None:
    sql, params = _compiled(rows.update_one(T, "t1", ROW, {"status": "closed"}))
    assert sql == (
        "UPDATE things SET status=%(status)s::VARCHAR WHERE things.tenant_id = %(tenant_id_1)s::VARCHAR"
        " AND things.id = %(id_1)s::UUID"
        " RETURNING things.id, things.tenant_id, things.status, things.client_id"
    )
    assert params == {"status": "closed", "tenant_id_1": "t1", "id_1": ROW}
