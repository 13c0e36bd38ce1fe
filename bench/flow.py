"""The real path through the platform over HTTP: a published package, its copy in proposals, a client."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.stack import Stack

TENANT = "bench-msp"


def activities() -> list[dict[str, Any]]:
    """17 activity templates: 8 monthly, 5 quarterly, 4 annual (a realistic vCIO package)."""

    def act(name: str, cadence: str, role: str, effort: str, category: str, track: str) -> dict[str, Any]:
        return {
            "name": name,
            "category": category,
            "track": track,
            "billing_mode": "included",
            "cadence": cadence,
            "role": role,
            "effort_hours": effort,
            "deliverable": f"{name} notes",
        }

    monthly = [
        act(f"Monthly {n}", "FREQ=MONTHLY", "technical_account_manager", "1.5", "cybersecurity", "technical")
        for n in (
            "ticket review",
            "patch review",
            "backup check",
            "security report",
            "license review",
            "asset review",
            "service review",
            "satisfaction check",
        )
    ]
    quarterly = [
        act(f"Quarterly {n}", "FREQ=MONTHLY;INTERVAL=3", "vcio", "3", "it_strategy", "business")
        for n in ("business review", "roadmap update", "budget review", "risk review", "vendor review")
    ]
    annual = [
        act(f"Annual {n}", "FREQ=YEARLY", "account_manager", "8", "account_management", "business")
        for n in ("strategy plan", "NIST assessment", "renewal review", "DR test")
    ]
    return monthly + quarterly + annual


def package() -> dict[str, Any]:
    return {
        "name": "vCIO Growth",
        "tier": "growth",
        "description": "Benchmark package",
        "currency": "USD",
        "monthly_price": "2500.00",
        "billing_cycle": "monthly",
        "term_months": 12,
        "onboarding_fee": "1500.00",
        "activities": activities(),
    }


def ok(r: httpx.Response, *codes: int) -> dict[str, Any]:
    if r.status_code not in (codes or (200, 201)):
        raise RuntimeError(f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text[:500]}")
    return r.json()


@dataclass
class Setup:
    package_id: str
    client_id: str


async def prepare(stack: Stack, tenant: str = TENANT) -> Setup:
    """Publish a package in catalog, wait for proposals' copy of it (over JetStream), create a client."""
    h = stack.headers(tenant)
    async with httpx.AsyncClient(timeout=30) as http:
        pkg = ok(await http.post(f"{stack.url('catalog')}/v1/packages", json=package(), headers=h))
        ok(await http.post(f"{stack.url('catalog')}/v1/packages/{pkg['id']}/publish", headers=h))
        deadline = time.monotonic() + 60
        copy = f"{stack.url('proposals')}/v1/catalog/packages/{pkg['id']}"
        while (await http.get(copy, headers=h)).status_code != 200:
            if time.monotonic() > deadline:
                raise TimeoutError("proposals never received package.published")
            await asyncio.sleep(0.05)
        client = ok(
            await http.post(
                f"{stack.url('proposals')}/v1/clients",
                headers=h,
                json={
                    "name": "Acme Dental",
                    "email": "ops@acme.test",
                    "timezone": "America/Chicago",
                    "currency": "USD",
                },
            )
        )
    return Setup(package_id=pkg["id"], client_id=client["id"])


def proposal_body(setup: Setup) -> dict[str, Any]:
    return {"client_id": setup.client_id, "package_id": setup.package_id, "start_date": "2027-01-01"}
