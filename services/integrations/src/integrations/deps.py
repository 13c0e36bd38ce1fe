"""Route dependencies: the integrations scopes (what `vcio_shared.auth.scoped` gives, spelled so mypy can read it)."""

from typing import Annotated, Any

from fastapi import Depends, Request

from integrations.endpoints.secrets import Vault
from vcio_shared.auth import Principal, require
from vcio_shared.errors import Unavailable

Reader = Annotated[Principal, Depends(require("integrations:read"))]
Writer = Annotated[Principal, Depends(require("integrations:write"))]


def vault_of(runtime: Any) -> Vault:
    """The service's vault of stored secrets, made once from VCIO_SECRETS_KEY."""
    if "vault" not in runtime.extras:
        if not runtime.settings.secrets_key:
            raise Unavailable("VCIO_SECRETS_KEY is not set")
        runtime.extras["vault"] = Vault(runtime.settings.secrets_key)
    return runtime.extras["vault"]  # type: ignore[no-any-return]


async def get_vault(request: Request) -> Vault:
    return vault_of(request.app.state.runtime)


async def get_allow_private(request: Request) -> bool:
    """VCIO_WEBHOOKS_ALLOW_PRIVATE: whether http and private addresses may receive webhooks."""
    return bool(request.app.state.runtime.settings.webhooks_allow_private)


VaultDep = Annotated[Vault, Depends(get_vault)]
AllowPrivate = Annotated[bool, Depends(get_allow_private)]
