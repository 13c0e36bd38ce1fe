"""The shared engine: what it does to values on their way into PostgreSQL and back."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from vcio_shared.db import create_engine
from vcio_shared.settings import to_driver_url


async def test_json_columns_round_trip_as_the_standard_library_would_write_them(notes_db: str) -> None:
    """JSON goes through orjson; integer keys still become strings (json.dumps does that, orjson refuses them
    unless told), and text outside ASCII comes back as it went."""
    engine = create_engine(to_driver_url(notes_db, "asyncpg"))
    value = {1: "é", "b": [1.5, None, True], "nested": {2: {"x": "日本"}}}
    try:
        async with engine.connect() as conn:
            stored = (await conn.execute(sa.select(sa.literal(value, type_=pg.JSONB)))).scalar_one()
            text = (await conn.execute(sa.select(sa.cast(sa.literal(value, type_=pg.JSONB), sa.Text)))).scalar_one()
    finally:
        await engine.dispose()
    assert stored == {"1": "é", "b": [1.5, None, True], "nested": {"2": {"x": "日本"}}}
    assert text == '{"1": "é", "b": [1.5, null, true], "nested": {"2": {"x": "日本"}}}'
