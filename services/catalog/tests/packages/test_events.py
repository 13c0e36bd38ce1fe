"""Events: package.published carries the whole version, package.retired the versions; CloudEvents rules."""

import httpx
from nats.js import JetStreamContext

from vcio_shared.events import decode
from vcio_shared.testing import auth

from ..conftest import Create  # noqa: TID252

PUBLISHED = "vcio.catalog.package.published"
RETIRED = "vcio.catalog.package.retired"


# long: one literal of the whole expected event, so a reader sees every field the version carries
async def test_published_event_is_a_cloudevent_carrying_the_whole_version(
    client: httpx.AsyncClient, js: JetStreamContext, create: Create
) -> None:
    sub = await js.subscribe(PUBLISHED)
    package = await create(publish=True)
    msg = await sub.next_msg(timeout=10)
    event = decode(msg.data, subject=msg.subject)
    assert event.specversion == "1.0"
    assert event.source == "/vcio/catalog"
    assert event.type == msg.subject == PUBLISHED
    assert event.tenantid == "tenant-a"
    assert event.subject == package["id"]
    assert event.datacontenttype == "application/json"
    assert msg.headers is not None and msg.headers["Nats-Msg-Id"] == event.id
    assert event.data == {
        "id": package["id"],
        "version": 1,
        "status": "published",
        "name": "vCIO Core",
        "tier": "core",
        "description": "Strategy and reviews",
        "currency": "USD",
        "monthly_price": "1500.00",
        "billing_cycle": "monthly",
        "term_months": 12,
        "onboarding_fee": "500.00",
        "contract_value": "18500.00",
        "effort_hours_per_year": {"account_manager": "10.00", "technical_account_manager": "12.00", "vcio": "8.00"},
        "total_effort_hours_per_year": "30.00",
        "schedule_basis_start": "2027-02-01",
        "created_at": package["created_at"],
        "published_at": "2027-01-04T09:00:00Z",
        "activities": [
            {
                "name": "IT roadmap",
                "category": "it_strategy",
                "track": "business",
                "billing_mode": "billable",
                "cadence": "FREQ=YEARLY",
                "role": "vcio",
                "effort_hours": "8.00",
                "deliverable": "Roadmap",
                "occurrences_in_term": 1,
                "hours_per_year": "8.00",
            },
            {
                "name": "QBR",
                "category": "account_management",
                "track": "business",
                "billing_mode": "billable",
                "cadence": "FREQ=MONTHLY;INTERVAL=3",
                "role": "account_manager",
                "effort_hours": "2.50",
                "deliverable": None,
                "occurrences_in_term": 4,
                "hours_per_year": "10.00",
            },
            {
                "name": "Ticket review",
                "category": "infrastructure",
                "track": "technical",
                "billing_mode": "included",
                "cadence": "FREQ=MONTHLY",
                "role": "technical_account_manager",
                "effort_hours": "1.00",
                "deliverable": None,
                "occurrences_in_term": 12,
                "hours_per_year": "12.00",
            },
        ],
    }
    await sub.unsubscribe()


async def test_a_draft_emits_no_event(client: httpx.AsyncClient, js: JetStreamContext, create: Create) -> None:
    package = await create()
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "Edited"}, headers=auth())
    info = await js.stream_info("CATALOG")
    assert info.state.messages == 0


async def test_retiring_sends_one_retired_event_per_published_version(
    client: httpx.AsyncClient, js: JetStreamContext, create: Create
) -> None:
    sub = await js.subscribe(RETIRED)
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "New"}, headers=auth())
    await client.post(f"/v1/packages/{package['id']}/publish", headers=auth())
    await client.patch(f"/v1/packages/{package['id']}", json={"name": "Draft 3"}, headers=auth())
    await client.post(f"/v1/packages/{package['id']}/retire", headers=auth())
    datas = []
    for _ in range(2):
        msg = await sub.next_msg(timeout=10)
        event = decode(msg.data, subject=msg.subject)
        assert (event.type, event.source, event.tenantid, event.subject) == (
            RETIRED,
            "/vcio/catalog",
            "tenant-a",
            package["id"],
        )
        assert msg.headers is not None and msg.headers["Nats-Msg-Id"] == event.id
        datas.append(event.data)
    assert datas == [
        {"package_id": package["id"], "version": v, "versions": [1, 2], "retired_at": "2027-01-04T09:00:00+00:00"}
        for v in (1, 2)
    ]
    await sub.unsubscribe()


async def test_publishing_a_new_version_emits_that_version(
    client: httpx.AsyncClient, js: JetStreamContext, create: Create
) -> None:
    sub = await js.subscribe(PUBLISHED)
    package = await create(publish=True)
    await client.patch(f"/v1/packages/{package['id']}", json={"monthly_price": "1600.00"}, headers=auth())
    await client.post(f"/v1/packages/{package['id']}/publish", headers=auth())
    first = decode((await sub.next_msg(timeout=10)).data)
    second = decode((await sub.next_msg(timeout=10)).data)
    assert [(e.data["version"], e.data["monthly_price"]) for e in (first, second)] == [(1, "1500.00"), (2, "1600.00")]
    await sub.unsubscribe()


async def test_the_starter_catalog_publishes_three_events_once(client: httpx.AsyncClient, js: JetStreamContext) -> None:
    sub = await js.subscribe(PUBLISHED)
    await client.post("/v1/starter-catalog", headers=auth())
    await client.post("/v1/starter-catalog", headers=auth())
    names = [decode((await sub.next_msg(timeout=10)).data).data["name"] for _ in range(3)]
    assert names == ["vCIO Essentials", "vCIO Growth", "vCIO Strategic"]
    info = await js.stream_info("CATALOG")
    assert info.state.messages == 3
    await sub.unsubscribe()
