"""The keyset list query, compiled: what it filters on and how it orders and limits."""

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from vcio_shared.pages import keyset_query

T = sa.Table(
    "things",
    sa.MetaData(),
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("tenant_id", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("client_id", sa.Uuid),
)


def _sql(query: sa.Select) -> str:  # type: ignore[type-arg]
    return " ".join(str(query.compile(dialect=postgresql.dialect())).split())


def test_none_filters_and_no_cursor_leave_only_the_tenant() -> None:
    query = keyset_query(T, "t1", {"status": None, "client_id": None}, after=None, limit=10)
    where = _sql(query).split(" WHERE ")[1]
    assert where.startswith("things.tenant_id = %(tenant_id_1)s")
    assert " AND " not in where
    assert " ORDER BY things.id LIMIT " in where
    assert query.compile(dialect=postgresql.dialect()).params["param_1"] == 11


def test_given_filters_and_the_cursor_narrow_the_rows_and_one_more_row_is_asked() -> None:
    after = uuid.uuid4()
    query = keyset_query(T, "t1", {"status": "open", "client_id": None}, after=after, limit=10)
    sql = _sql(query)
    assert "things.status = %(status_1)s" in sql
    assert "client_id =" not in sql
    assert "things.id > %(id_1)s" in sql
    params = query.compile(dialect=postgresql.dialect()).params
    assert (params["status_1"], params["id_1"], params["param_1"]) == ("open", after, 11)
