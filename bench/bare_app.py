"""The raw baseline for the HTTP figures: a bare FastAPI app answering the same JSON as the real endpoints.

No auth, no database, no middleware: `uvicorn --factory bench.bare_app:build` with the same settings as the
services (uvloop, httptools, one worker, no access log). The JSON comes from the real services in the same
run (BENCH_BARE_JSON names a file {"read": <an invoice>, "write": <a created proposal>})."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI


def build() -> FastAPI:
    answers = json.loads(Path(os.environ["BENCH_BARE_JSON"]).read_text())
    app = FastAPI()

    @app.get("/v1/invoices/{invoice_id}")
    async def get_invoice(invoice_id: uuid.UUID) -> Any:
        return answers["read"]

    @app.post("/v1/proposals", status_code=201)
    async def create_proposal(body: dict[str, Any]) -> Any:
        return answers["write"]

    return app
