"""What the agreements tests share: the outbox's event types, and the renew route."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from vcio_shared.testing import auth


async def outbox_types(app: Any) -> list[str]:
    async with app.state.runtime.sessionmaker() as s:
        return list((await s.execute(sa.text("SELECT type FROM outbox ORDER BY seq"))).scalars())


async def renewed_events(app: Any) -> int:
    async with app.state.runtime.sessionmaker() as s:
        return int(await s.scalar(sa.text("SELECT count(*) FROM outbox WHERE type = 'vcio.billing.agreement.renewed'")))


def renew(client: Any, agreement_id: str, key: str | None = None) -> Any:
    headers = {**auth(), **({"Idempotency-Key": key} if key else {})}
    return client.post(f"/v1/agreements/{agreement_id}/renew", headers=headers)
