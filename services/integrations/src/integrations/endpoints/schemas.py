"""Webhook endpoint bodies and answers (CONTRACT.md §6)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import Field, StringConstraints

from vcio_shared.schemas import RequestModel, ResponseModel, not_null

# A type (`vcio.billing.invoice.paid`) or a prefix ending in `*` (`vcio.billing.*`, `*`).
TypePattern = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.?\*)?)$")
]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[!-~]+$")]
Description = Annotated[str, StringConstraints(max_length=500)]


class EndpointCreate(RequestModel):
    url: Url
    description: Description | None = None
    event_types: list[TypePattern] = Field(default_factory=list, max_length=100)
    client_id: uuid.UUID | None = None
    enabled: bool = True


class EndpointUpdate(RequestModel, json_schema_extra=not_null("url", "event_types", "enabled")):
    url: Url | None = None
    description: Description | None = None
    event_types: list[TypePattern] | None = Field(default=None, max_length=100)
    client_id: uuid.UUID | None = None
    enabled: bool | None = None


class EndpointOut(ResponseModel):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    client_id: uuid.UUID | None
    enabled: bool
    disabled_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class EndpointCreatedOut(EndpointOut):
    """The only answer besides rotate-secret's that shows the secret."""

    secret: str


class SecretOut(ResponseModel):
    secret: str


class EndpointDisabled(ResponseModel):
    """The data of `vcio.integrations.endpoint.disabled`."""

    endpoint_id: uuid.UUID
    url: str
    reason: str
    disabled_at: dt.datetime
