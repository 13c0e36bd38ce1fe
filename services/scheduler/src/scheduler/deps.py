"""Route dependencies: the scheduler scopes (what `vcio_shared.auth.scoped` gives, spelled so mypy can read it),
and the answer of a POST that honours `Idempotency-Key`."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel

from vcio_shared.auth import Principal, require
from vcio_shared.idempotency import Idempotency

Reader = Annotated[Principal, Depends(require("scheduler:read"))]
Writer = Annotated[Principal, Depends(require("scheduler:write"))]


async def once(idem: Idempotency, tenant_id: str, answer: Callable[[], Awaitable[BaseModel]]) -> Any:
    """201 with `answer()`, remembered under the request's key: a retry with the same key and body gets the
    first answer back, and `answer` does not run again."""
    if (replayed := await idem.replay(tenant_id)) is not None:
        return replayed
    return await idem.remember(201, (await answer()).model_dump(mode="json"))
