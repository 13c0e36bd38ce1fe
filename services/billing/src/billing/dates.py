"""Dates the API accepts: real calendar dates in a sane range (so no arithmetic overflows into a 5xx)."""

from __future__ import annotations

from vcio_shared.schemas import Date

Day = Date  # the platform's one date type: 1970-01-01..2999-12-31, with the bounds in the OpenAPI schema
