"""Calendar subscription requests and answers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from vcio_shared.schemas import RequestModel, ResponseModel


class SubscriptionCreate(RequestModel):
    kind: Literal["client", "staff"]
    subject_id: uuid.UUID


class SubscriptionOut(ResponseModel):
    id: uuid.UUID
    kind: str
    subject_id: uuid.UUID
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class SubscriptionCreatedOut(SubscriptionOut):
    url: str
