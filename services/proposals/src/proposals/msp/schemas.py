"""The MSP profile shown on proposals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import StringConstraints

from proposals.clients.schemas import Email, Name
from proposals.validation import Body as RequestModel
from vcio_shared.schemas import ResponseModel


class MspProfileIn(RequestModel):
    name: Name
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=50)] | None = None
    website: Annotated[str, StringConstraints(max_length=200, pattern=r"^https?://\S+$")] | None = None


class MspProfilePublic(ResponseModel):
    name: str
    email: str | None
    phone: str | None
    website: str | None
    updated_at: dt.datetime | None
