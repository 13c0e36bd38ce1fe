"""Route dependencies: the strategy scopes (what `vcio_shared.auth.scoped` gives, spelled so mypy can read it)."""

from typing import Annotated

from fastapi import Depends

from vcio_shared.auth import Principal, require

Reader = Annotated[Principal, Depends(require("strategy:read"))]
Writer = Annotated[Principal, Depends(require("strategy:write"))]
