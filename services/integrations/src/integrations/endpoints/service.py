"""The rules of webhook endpoints: registration behind the SSRF guard, secrets shown once, rotation, disabling."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from integrations.endpoints import guard
from integrations.endpoints import repository as repo
from integrations.endpoints.schemas import (
    EndpointCreate,
    EndpointCreatedOut,
    EndpointDisabled,
    EndpointOut,
    EndpointUpdate,
    SecretOut,
)
from integrations.endpoints.secrets import Vault, new_secret
from vcio_shared import audit, errors
from vcio_shared.auth import Principal
from vcio_shared.errors import Unprocessable
from vcio_shared.events import emit
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "integrations"
ROTATION_OVERLAP = dt.timedelta(hours=24)  # the old secret keeps signing this long after a rotation
NO_ENDPOINT = "no such webhook endpoint"


async def _checked_url(url: str, allow_private: bool) -> str:
    try:
        await guard.check(url, allow_private)
    except guard.UnsafeUrl as exc:
        raise Unprocessable.field(["body", "url"], str(exc)) from None
    return url


async def create(
    session: AsyncSession,
    principal: Principal,
    body: EndpointCreate,
    vault: Vault,
    allow_private: bool,
    now: dt.datetime,
) -> EndpointCreatedOut:
    await _checked_url(body.url, allow_private)
    secret = new_secret()
    row = await repo.insert(
        session,
        {
            **body.model_dump(),
            "id": uuid7(),
            "tenant_id": principal.tenant_id,
            "secret": vault.seal(secret),
            "created_at": now,
            "updated_at": now,
        },
    )
    await audit.record(session, principal, "create", "webhook_endpoint", row["id"], {"url": body.url}, at=now)
    return EndpointCreatedOut.model_validate({**row, "secret": secret})


async def found(session: AsyncSession, tenant_id: str, endpoint_id: uuid.UUID, *, for_update: bool = False) -> Any:
    return errors.found(await repo.get(session, tenant_id, endpoint_id, for_update=for_update), NO_ENDPOINT)


async def get(session: AsyncSession, tenant_id: str, endpoint_id: uuid.UUID) -> EndpointOut:
    return EndpointOut.model_validate(await found(session, tenant_id, endpoint_id))


async def list_endpoints(
    session: AsyncSession, tenant_id: str, enabled: bool | None, client_id: uuid.UUID | None, page: PageParams
) -> Page[EndpointOut]:
    rows = await repo.page(session, tenant_id, {"enabled": enabled, "client_id": client_id}, page.after, page.limit)
    return page_of([EndpointOut.model_validate(r) for r in rows], page.limit)


async def update(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    body: EndpointUpdate,
    allow_private: bool,
    now: dt.datetime,
) -> EndpointOut:
    await found(session, principal.tenant_id, endpoint_id, for_update=True)
    changes = body.model_dump(exclude_unset=True)
    for name in ("url", "event_types", "enabled"):
        if name in changes and changes[name] is None:
            raise Unprocessable.field(["body", name], "may be left out but not set to null")
    if "url" in changes:
        await _checked_url(changes["url"], allow_private)
    if changes.get("enabled"):  # enabling again starts a fresh run: no failures counted, no reason shown
        changes.update(disabled_reason=None, failing_since=None)
    row = await repo.update(session, principal.tenant_id, endpoint_id, {**changes, "updated_at": now})
    await audit.record(session, principal, "update", "webhook_endpoint", endpoint_id, changes, at=now)
    return EndpointOut.model_validate(row)


async def delete(session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, now: dt.datetime) -> None:
    if not await repo.delete(session, principal.tenant_id, endpoint_id):
        raise errors.NotFound(NO_ENDPOINT)
    await audit.record(session, principal, "delete", "webhook_endpoint", endpoint_id, at=now)


async def rotate_secret(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, vault: Vault, now: dt.datetime
) -> SecretOut:
    """A new secret; the current one keeps signing beside it for 24 hours."""
    row = await found(session, principal.tenant_id, endpoint_id, for_update=True)
    secret = new_secret()
    values = {
        "secret": vault.seal(secret),
        "previous_secret": row["secret"],
        "previous_until": now + ROTATION_OVERLAP,
        "updated_at": now,
    }
    await repo.update(session, principal.tenant_id, endpoint_id, values)
    await audit.record(session, principal, "rotate_secret", "webhook_endpoint", endpoint_id, at=now)
    return SecretOut(secret=secret)


def signing_secrets(row: Any, vault: Vault, now: dt.datetime) -> list[str]:
    """The secrets that sign a message to this endpoint now: the current one, and the previous within 24 h."""
    secrets = [vault.open(row["secret"])]
    if row["previous_secret"] and row["previous_until"] and now < row["previous_until"]:
        secrets.append(vault.open(row["previous_secret"]))
    return secrets


async def disable(session: AsyncSession, endpoint_id: uuid.UUID, reason: str, now: dt.datetime) -> bool:
    """Disable the endpoint and emit `vcio.integrations.endpoint.disabled`, once; False if it was not enabled."""
    row = await repo.disable(session, endpoint_id, reason, now)
    if row is None:
        return False
    data = EndpointDisabled(endpoint_id=row["id"], url=row["url"], reason=reason, disabled_at=now)
    await emit(
        session,
        SERVICE,
        "vcio.integrations.endpoint.disabled",
        row["tenant_id"],
        data.model_dump(mode="json"),
        subject=str(row["id"]),
        now=now,
    )
    await audit.record(
        session,
        "integrations",
        "disable",
        "webhook_endpoint",
        row["id"],
        {"reason": reason},
        tenant_id=row["tenant_id"],
        at=now,
    )
    return True
