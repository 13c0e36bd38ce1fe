"""Faults on the real processes. Each test states what was lost or doubled: nothing."""

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import nats
import orjson

from vcio_shared.embedded import NatsServer, Postgres
from vcio_shared.events import build, encode
from vcio_shared.testing import TEST_SECRET, auth, eventually

ACTIVITIES = [
    {
        "name": "Quarterly business review",
        "category": "account_management",
        "track": "business",
        "billing_mode": "billable",
        "cadence": "FREQ=MONTHLY;INTERVAL=3",
        "role": "account_manager",
        "effort_hours": "3",
        "deliverable": "QBR deck",
    },
]


def accepted_event(tenant: str, start: str = "2027-01-01", monthly: str = "1500.00") -> Any:
    """A `vcio.proposals.proposal.accepted` exactly as docs/events.md describes it."""
    client_id = str(uuid.uuid4())
    return build(
        "proposals",
        "vcio.proposals.proposal.accepted",
        tenant,
        {
            "proposal_id": str(uuid.uuid4()),
            "client": {
                "id": client_id,
                "name": "Contoso Law",
                "email": "ap@contoso.example",
                "timezone": "UTC",
                "currency": "USD",
                "tax_rate": "0.00",
                "payment_terms_days": 30,
            },
            "package": {"id": str(uuid.uuid4()), "version": 1, "name": "vCIO Essentials", "tier": "essentials"},
            "currency": "USD",
            "monthly_total": monthly,
            "one_time_total": "0.00",
            "contract_value": f"{int(monthly.split('.')[0]) * 12}.00",
            "discount_percent": "0",
            "start_date": start,
            "term_months": 12,
            "billing_cycle": "monthly",
            "recurring_lines": [{"description": "vCIO Essentials", "amount": monthly}],
            "one_time_lines": [],
            "activities": ACTIVITIES,
            "accepted_at": "2026-11-20T10:00:00+00:00",
            "signer_name": "Pat Lee",
            "signer_email": "pat@contoso.example",
            "document_sha256": "0" * 64,
        },
        subject=None,
    )


async def publish(platform: Any, events: list[Any], copies: int = 1) -> None:
    nc = await nats.connect(platform.env["NATS_URL"])
    js = nc.jetstream()
    futures = []
    for event in events:
        for copy in range(copies):
            futures.append(
                await js.publish_async(event.type, encode(event), headers={"Nats-Msg-Id": f"{event.id}-{copy}"})
            )
    await asyncio.gather(*futures)
    await nc.close()


async def count(http: httpx.AsyncClient, url: str, tenant: str, **params: Any) -> int:
    total, cursor = 0, None
    while True:
        query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        r = await http.get(url, params=query, headers=auth(tenant))
        if r.status_code != 200:
            return -1
        body = r.json()
        total += len(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return total


async def test_the_same_event_delivered_three_times_makes_one_agreement_and_one_plan(platform: Any) -> None:
    tenant = "faults-thrice"
    event = accepted_event(tenant)
    await publish(platform, [event], copies=3)
    async with httpx.AsyncClient(timeout=30) as http:
        billing, scheduler = platform.url("billing"), platform.url("scheduler")
        await eventually(lambda: _eq(count(http, f"{billing}/v1/agreements", tenant), 1), timeout=30)
        agreement = (await http.get(f"{billing}/v1/agreements", headers=auth(tenant))).json()["items"][0]
        await eventually(
            lambda: _eq(count(http, f"{scheduler}/v1/activities", tenant, agreement_id=agreement["id"]), 4), timeout=30
        )
        await asyncio.sleep(2)  # every copy has had its chance to double something
        assert await count(http, f"{billing}/v1/agreements", tenant) == 1
        assert await count(http, f"{scheduler}/v1/activities", tenant) == 4


async def _eq(value: Any, expected: Any) -> bool:
    return (await value) == expected


async def test_nats_down_30s_while_proposals_are_accepted_loses_and_doubles_nothing(platform: Any) -> None:
    tenant = "faults-nats-down"
    h = auth(tenant)
    catalog, proposals = platform.url("catalog"), platform.url("proposals")
    billing, scheduler = platform.url("billing"), platform.url("scheduler")
    async with httpx.AsyncClient(timeout=30) as http:
        package = (
            await http.post(
                f"{catalog}/v1/packages",
                headers=h,
                json={
                    "name": "vCIO Core",
                    "currency": "USD",
                    "monthly_price": "1800.00",
                    "billing_cycle": "monthly",
                    "term_months": 12,
                    "activities": [{k: v for k, v in ACTIVITIES[0].items() if k != "deliverable"}],
                },
            )
        ).json()
        assert (await http.post(f"{catalog}/v1/packages/{package['id']}/publish", headers=h)).status_code == 200
        await eventually(lambda: _status(http, f"{proposals}/v1/catalog/packages/{package['id']}", h, 200), 30)
        accept_urls = []
        for i in range(5):
            client = (
                await http.post(
                    f"{proposals}/v1/clients",
                    headers=h,
                    json={"name": f"Client {i}", "email": f"c{i}@example.com", "timezone": "Europe/London"},
                )
            ).json()
            proposal = (
                await http.post(
                    f"{proposals}/v1/proposals",
                    headers=h,
                    json={"client_id": client["id"], "package_id": package["id"], "start_date": "2027-02-01"},
                )
            ).json()
            sent = await http.post(f"{proposals}/v1/proposals/{proposal['id']}/send", headers=h)
            accept_urls.append(sent.json()["accept_url"])

        store, port = platform.nats.store_dir, platform.nats.port
        platform.nats.stop()
        try:
            for url in accept_urls:
                r = await http.post(f"{url}/accept", json={"signer_name": "Sam", "signer_email": "sam@example.com"})
                assert r.status_code == 200, r.text
            await asyncio.sleep(30)
            assert await count(http, f"{billing}/v1/agreements", tenant) == 0
        finally:
            platform.nats = NatsServer(store, port=port).start()
        await eventually(lambda: _eq(count(http, f"{billing}/v1/agreements", tenant), 5), timeout=60)
        await eventually(lambda: _eq(count(http, f"{scheduler}/v1/activities", tenant), 5 * 4), timeout=60)
        await asyncio.sleep(2)
        assert await count(http, f"{billing}/v1/agreements", tenant) == 5
        assert await count(http, f"{scheduler}/v1/activities", tenant) == 20


async def _status(http: httpx.AsyncClient, url: str, headers: dict[str, str], status: int) -> bool:
    return (await http.get(url, headers=headers)).status_code == status


def vcio(platform: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "VCIO_JWT_SECRET": TEST_SECRET,
        **{f"{s.upper()}_PORT": str(p) for s, p in platform.ports.items()},
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "vcio"), *args], capture_output=True, text=True, env=env, timeout=60
    )


async def test_poison_event_is_dead_lettered_and_shown_by_the_cli_and_api(platform: Any) -> None:
    tenant = "faults-poison"
    poison = build("proposals", "vcio.proposals.proposal.accepted", tenant, {"proposal_id": "not-a-uuid"})
    await publish(platform, [poison])
    async with httpx.AsyncClient(timeout=30) as http:
        url = f"{platform.url('billing')}/v1/dead-letters"
        await eventually(lambda: _eq(count(http, url, tenant), 1), timeout=30)
        [letter] = (await http.get(url, headers=auth(tenant))).json()["items"]
        assert (letter["consumer"], letter["event_id"], letter["status"]) == ("billing--proposals", poison.id, "dead")
        assert await count(http, f"{platform.url('billing')}/v1/agreements", tenant) == 0
    listed = vcio(platform, "dead-letters", "list", "--service", "billing", "--tenant", tenant)
    assert listed.returncode == 0, listed.stderr
    assert letter["id"] in listed.stdout and "billing--proposals" in listed.stdout
    replayed = vcio(platform, "dead-letters", "replay", letter["id"], "--service", "billing", "--tenant", tenant)
    assert replayed.returncode == 1
    assert "the handler failed again" in replayed.stderr


async def test_postgres_restart_under_load_fails_cleanly_then_recovers_with_nothing_half_written(
    platform: Any,
) -> None:
    tenant = "faults-pg"
    proposals = platform.url("proposals")
    statuses: list[int] = []
    bad: list[str] = []
    stop = asyncio.Event()

    async def writer(worker: int, http: httpx.AsyncClient) -> list[str]:
        done = []
        n = 0
        while not stop.is_set():
            key = f"w{worker}-{n}"
            while True:  # a client retries a 503 with the same Idempotency-Key
                try:
                    r = await http.post(
                        f"{proposals}/v1/clients",
                        headers={**auth(tenant), "Idempotency-Key": key},
                        json={"name": key, "email": f"{key}@example.com", "timezone": "UTC"},
                    )
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
                    continue
                statuses.append(r.status_code)
                if r.status_code == 201:
                    done.append(key)
                    break
                if r.status_code != 503 or r.headers.get("content-type") != "application/problem+json":
                    bad.append(f"{r.status_code} {r.text[:200]}")
                    break
                await asyncio.sleep(0.2)
            n += 1
        return done

    async with httpx.AsyncClient(timeout=30) as http:
        workers = [asyncio.create_task(writer(i, http)) for i in range(4)]
        await asyncio.sleep(2)
        pg: Postgres = platform.postgres
        try:
            await asyncio.to_thread(pg.stop)
            await asyncio.sleep(3)
            ready = await http.get(f"{proposals}/readyz")
            down = (ready.status_code, ready.json()["checks"]["database"])
        finally:
            pg.start()  # in this thread: a server dies with the thread that started it (PR_SET_PDEATHSIG)
        assert down == (503, "down")
        await asyncio.sleep(4)
        stop.set()
        created = [key for keys in await asyncio.gather(*workers) for key in keys]
        assert bad == []
        assert 503 in statuses and statuses.count(201) == len(created)
        names = []
        cursor = None
        while True:
            r = await http.get(
                f"{proposals}/v1/clients",
                headers=auth(tenant),
                params={"limit": 200, **({"cursor": cursor} if cursor else {})},
            )
            names += [c["name"] for c in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert sorted(names) == sorted(created)  # nothing lost, nothing doubled, nothing half-written
        # The services that had no traffic through the restart answer their very first request: their pools
        # drop the connections the restart closed (no request pays for them), the ORM's and the hot reads'.
        for service, path in (
            ("catalog", "/v1/packages"),
            ("billing", "/v1/agreements"),
            ("scheduler", "/v1/staff"),
            ("billing", f"/v1/invoices/{uuid.uuid4()}"),
        ):
            r = await http.get(f"{platform.url(service)}{path}", headers=auth(tenant))
            assert r.status_code == (404 if "invoices" in path else 200), f"{service} {path}: {r.text[:200]}"


async def test_kill_9_billing_mid_run_then_rerun_bills_each_period_once(platform: Any) -> None:
    tenant = "faults-kill9"
    n = 2000
    await publish(platform, [accepted_event(tenant, start="2027-01-01") for _ in range(n)])
    billing = platform.url("billing")
    async with httpx.AsyncClient(timeout=120) as http:
        # 2,000 events through the real consumer path, one transaction each: minutes on a loaded 2-core machine
        await eventually(lambda: _eq(count(http, f"{billing}/v1/agreements", tenant), n), timeout=900, interval=3)
        # Chunks of 100 agreements, so the run commits as it goes (at the default 2,000 these 2,000 agreements
        # were one chunk: the run was all or nothing, and a quarter of it finished inside a fixed 0.5 s wait).
        platform.env["BILLING_RUN_CHUNK_SIZE"] = "100"
        platform.services["billing"].send_signal(signal.SIGTERM)
        platform.services["billing"].wait(60)
        platform.start_service("billing")
        await asyncio.to_thread(platform.wait_ready, ["billing"], 60)
        r = await http.post(
            f"{billing}/v1/billing-runs", headers=auth(tenant), json={"as_of": "2027-12-01", "background": True}
        )
        assert r.status_code == 202, r.text

        async def under_way() -> bool:  # its first chunks have committed: pull the plug
            run = (await http.get(f"{billing}/v1/billing-runs/{r.json()['id']}", headers=auth(tenant))).json()
            return run["invoices_created"] > 0

        await eventually(under_way, timeout=60, interval=0.05)
        platform.services["billing"].send_signal(signal.SIGKILL)
        platform.services["billing"].wait(60)
        platform.start_service("billing")
        await asyncio.to_thread(platform.wait_ready, ["billing"], 60)
        before = await count(http, f"{billing}/v1/invoices", tenant)
        assert 0 < before < n * 12  # the killed run had begun and did not finish
        rerun = await http.post(f"{billing}/v1/billing-runs", headers=auth(tenant), json={"as_of": "2027-12-01"})
        assert rerun.status_code == 201, rerun.text
        invoices = await count(http, f"{billing}/v1/invoices", tenant)
        assert invoices == n * 12  # January to December: exactly one each
        again = (
            await http.post(f"{billing}/v1/billing-runs", headers=auth(tenant), json={"as_of": "2027-12-01"})
        ).json()
        assert again["invoices_created"] == 0


_ = (dt, orjson)
