"""Share-link answers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from vcio_shared.schemas import ResponseModel


class ShareOut(ResponseModel):
    url: str  # shown once: only the token's hash is kept
    kind: Literal["roadmap", "report"]
    target_id: uuid.UUID  # the client (roadmap) or the report
    created_at: dt.datetime
