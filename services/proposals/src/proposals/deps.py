"""Route dependencies: the long form of vcio_shared.auth.scoped(...), which mypy can read as a type."""

from typing import Annotated

from fastapi import Depends

from vcio_shared.auth import Principal, require

Reader = Annotated[Principal, Depends(require("proposals:read"))]
Writer = Annotated[Principal, Depends(require("proposals:write"))]
