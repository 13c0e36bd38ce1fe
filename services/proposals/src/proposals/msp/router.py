"""MSP profile routes: GET and PUT of the tenant's one profile."""

from __future__ import annotations

from fastapi import APIRouter

from proposals.deps import Reader, Writer
from proposals.msp import service
from proposals.msp.schemas import MspProfileOut, MspProfileUpdate
from vcio_shared.tenant_document import tenant_document

router = APIRouter(prefix="/v1/msp-profile", tags=["msp profile"])
tenant_document(router, "profile", (Reader, Writer), (MspProfileOut, MspProfileUpdate), service.get, service.put)
