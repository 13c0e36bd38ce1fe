"""Package routes (thin: parse, call the service, shape the answer)."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/packages", tags=["packages"])
