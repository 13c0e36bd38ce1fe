"""The catalog's event payloads as we read them (docs/events.md), and our copy as the API shows it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vcio_shared.schemas import CatalogActivityOut, ResponseModel
from vcio_shared.vocabulary import BillingCycle, BillingMode, Track


class _Event(BaseModel):
    # Changes within an event type are additive: unknown fields are ignored, never refused.
    model_config = ConfigDict(extra="ignore")


class PublishedActivity(_Event):
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(max_length=60)
    track: Track
    billing_mode: BillingMode
    cadence: str = Field(min_length=1, max_length=2000)
    role: str = Field(max_length=60)
    effort_hours: str = Field(max_length=20)
    deliverable: str | None = Field(default=None, max_length=2000)


class PackagePublished(_Event):
    id: uuid.UUID
    version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=200)
    tier: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=10_000)
    currency: str
    monthly_price: str
    billing_cycle: BillingCycle
    term_months: int = Field(ge=1, le=120)
    onboarding_fee: str | None = None
    published_at: dt.datetime | None = None
    activities: list[PublishedActivity] = Field(default_factory=list, max_length=500)


class PackageRetired(_Event):
    package_id: uuid.UUID
    version: int = Field(ge=1)
    retired_at: dt.datetime | None = None


class CatalogPackageOut(ResponseModel):
    """A package version as this service knows it."""

    id: uuid.UUID
    version: int
    name: str
    tier: str | None
    description: str | None
    currency: str
    monthly_price: str
    onboarding_fee: str
    billing_cycle: str
    term_months: int
    status: Literal["published", "retired"]
    published_at: dt.datetime | None
    retired_at: dt.datetime | None
    activities: list[CatalogActivityOut]


def public(row: Any) -> CatalogPackageOut:
    data = row.data
    return CatalogPackageOut(
        id=row.package_id,
        version=row.version,
        name=row.name,
        tier=row.tier,
        description=data.get("description"),
        currency=row.currency,
        monthly_price=data["monthly_price"],
        onboarding_fee=data["onboarding_fee"],
        billing_cycle=row.billing_cycle,
        term_months=row.term_months,
        status="retired" if row.retired_at else "published",
        published_at=row.published_at,
        retired_at=row.retired_at,
        activities=data["activities"],
    )
