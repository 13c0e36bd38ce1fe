"""Deliveries to a real receiver process that verifies with standardwebhooks' own Webhook.verify."""

import datetime as dt
import random
import uuid
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from integrations_helpers import START, Publish, Receiver, Service

from integrations.deliveries import repository as repo
from integrations.deliveries import service as deliveries
from integrations.deliveries.sender import LEASE, PER_ENDPOINT
from integrations.deliveries.service import Outcome, delivery_row
from vcio_shared.testing import auth, eventually

PAID = "vcio.billing.invoice.paid"
JOURNEY = [
    ("vcio.catalog.package.published", {"package_id": "p-1", "version": 1, "name": "vCIO Core"}),
    ("vcio.proposals.proposal.accepted", {"proposal_id": "pr-1", "client": {"id": "c-1", "name": "Acme"}}),
    ("vcio.billing.agreement.activated", {"agreement_id": "a-1", "client": {"id": "c-1"}}),
    ("vcio.scheduler.plan.created", {"agreement_id": "a-1", "client_id": "c-1", "activities": 12}),
    ("vcio.billing.invoice.issued", {"invoice_id": "i-1", "client_id": "c-1", "total": "1500.00", "currency": "USD"}),
    ("vcio.billing.invoice.paid", {"invoice_id": "i-1", "client_id": "c-1", "total": "1500.00", "currency": "USD"}),
]


def at(path: str, receiver: Receiver) -> list[dict[str, Any]]:
    return [r for r in receiver.received() if r["path"] == path]


async def test_every_journey_event_arrives_signed_and_byte_for_byte(
    service: Service, receiver: Receiver, publish: Publish
) -> None:
    endpoint = await service.endpoint(receiver.url)
    receiver.control(secrets=[endpoint["secret"]])
    sent = [await publish(type_, data) for type_, data in JOURNEY]
    got = await eventually(lambda: len(at("/hook", receiver)) == 6 and at("/hook", receiver))
    by_id = {r["headers"]["webhook-id"]: r for r in got}
    for payload in sent:
        event = orjson.loads(payload)
        arrived = by_id[event["id"]]
        assert arrived["body"].encode() == payload  # the CloudEvent exactly as on NATS
        assert arrived["verified_with"] == [0]
        assert arrived["headers"]["content-type"] == "application/json"
        assert arrived["headers"]["webhook-signature"].count("v1,") == 1
    assert sorted(orjson.loads(r["body"])["type"] for r in got) == sorted(t for t, _ in JOURNEY)

    async def all_logged() -> list[dict[str, Any]]:
        items = await service.deliveries(endpoint["id"], status="delivered")
        return items if len(items) == 6 else []

    items = await eventually(all_logged)
    assert {len(d["attempts"]) for d in items} == {1}
    assert {d["attempts"][0]["status_code"] for d in items} == {200}
    assert {d["attempts"][0]["at"] for d in items} == {"2027-01-04T09:00:00Z"}
    assert {d["next_attempt_at"] for d in items} == {None}
    paid = await service.deliveries(endpoint["id"], event_type="vcio.billing.invoice.paid")
    assert [d["event_id"] for d in paid] == [orjson.loads(sent[5])["id"]]


async def test_500_500_200_is_delivered_on_the_third_attempt_by_the_clock(
    service: Service, receiver: Receiver, publish: Publish
) -> None:
    endpoint = await service.endpoint(receiver.url)
    receiver.control(secrets=[endpoint["secret"]], answers=[500, 500])
    await publish(*JOURNEY[0])
    await eventually(lambda: len(at("/hook", receiver)) == 1)
    [first] = await eventually(lambda: _pending_with(service, endpoint["id"], 1))
    due = dt.datetime.fromisoformat(first["next_attempt_at"])
    assert START + dt.timedelta(seconds=4.5) <= due <= START + dt.timedelta(seconds=5.5)
    sender = service.runtime.extras["sender"]
    assert await sender.run_once() == 0  # nothing is due before the clock moves
    assert len(at("/hook", receiver)) == 1

    service.clock.advance(seconds=6)
    [second] = await eventually(lambda: _pending_with(service, endpoint["id"], 2))
    due = dt.datetime.fromisoformat(second["next_attempt_at"])
    later = START + dt.timedelta(seconds=6)
    assert later + dt.timedelta(seconds=270) <= due <= later + dt.timedelta(seconds=330)

    service.clock.advance(minutes=6)

    async def delivered() -> list[dict[str, Any]]:
        return await service.deliveries(endpoint["id"], status="delivered")

    [done] = await eventually(delivered)
    assert [a["status_code"] for a in done["attempts"]] == [500, 500, 200]
    assert [a["at"] for a in done["attempts"]] == [
        "2027-01-04T09:00:00Z",
        "2027-01-04T09:00:06Z",
        "2027-01-04T09:06:06Z",
    ]
    assert done["attempts"][0]["error"] == "HTTP 500: {}"
    assert done["next_attempt_at"] is None
    ids = {r["headers"]["webhook-id"] for r in at("/hook", receiver)}
    assert len(at("/hook", receiver)) == 3 and len(ids) == 1  # the same webhook-id on every attempt


async def _pending_with(service: Service, endpoint_id: str, attempts: int) -> list[dict[str, Any]]:
    items = await service.deliveries(endpoint_id, status="pending")
    return items if items and len(items[0]["attempts"]) == attempts else []


async def test_a_rotated_secret_signs_beside_the_new_one_for_24_hours(
    service: Service, receiver: Receiver, publish: Publish
) -> None:
    endpoint = await service.endpoint(receiver.url)
    r = await service.http.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=auth())
    new = r.json()["secret"]
    receiver.control(secrets=[endpoint["secret"], new])
    await publish(*JOURNEY[0])
    [during] = await eventually(lambda: at("/hook", receiver))
    assert during["verified_with"] == [0, 1]
    assert during["headers"]["webhook-signature"].count("v1,") == 2

    service.clock.advance(hours=24, seconds=1)
    await publish(*JOURNEY[1])
    after = await eventually(lambda: len(at("/hook", receiver)) == 2 and at("/hook", receiver)[1])
    assert after["verified_with"] == [1]
    assert after["headers"]["webhook-signature"].count("v1,") == 1


async def test_410_disables_the_endpoint_and_says_so_in_an_event(
    service: Service, receiver: Receiver, publish: Publish
) -> None:
    gone = await service.endpoint(receiver.url, event_types=["vcio.billing.*"])
    watcher = await service.endpoint(receiver.base + "/watch", event_types=["vcio.integrations.*"])
    receiver.control(secrets=[gone["secret"], watcher["secret"]], answers=[410])
    await publish(*JOURNEY[4])
    notice = await eventually(lambda: at("/watch", receiver))
    body = orjson.loads(notice[0]["body"])
    assert body["type"] == "vcio.integrations.endpoint.disabled"
    assert body["data"] == {
        "endpoint_id": gone["id"],
        "url": receiver.url,
        "reason": "the endpoint answered 410 Gone",
        "disabled_at": "2027-01-04T09:00:00Z",
    }
    assert notice[0]["verified_with"] == [1]
    shown = (await service.http.get(f"/v1/webhook-endpoints/{gone['id']}", headers=auth())).json()
    assert (shown["enabled"], shown["disabled_reason"]) == (False, "the endpoint answered 410 Gone")
    [failed] = await service.deliveries(gone["id"], status="failed")
    assert [a["status_code"] for a in failed["attempts"]] == [410]

    await publish(*JOURNEY[5])  # a disabled endpoint gets nothing more
    assert await service.runtime.extras["sender"].run_once() == 0
    assert len(at("/hook", receiver)) == 1


async def test_five_days_of_nothing_but_failures_disable_the_endpoint(
    service: Service, receiver: Receiver, publish: Publish
) -> None:
    endpoint = await service.endpoint(receiver.url)
    receiver.control(secrets=[endpoint["secret"]], answers=[503] * 50)
    await publish(*JOURNEY[0])
    await eventually(lambda: _pending_with(service, endpoint["id"], 1))
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    service.clock.advance(days=4, hours=23)
    await eventually(lambda: _pending_with(service, endpoint["id"], 2))
    assert (await service.http.get(path, headers=auth())).json()["enabled"] is True
    service.clock.advance(hours=11)  # the schedule's next retry lands past five days of failures

    async def disabled() -> bool:
        return (await service.http.get(path, headers=auth())).json()["enabled"] is False

    await eventually(disabled)
    shown = (await service.http.get(path, headers=auth())).json()
    assert shown["disabled_reason"] == "every attempt failed for 5 days"


async def test_tenant_isolation_of_events_and_deliveries(
    service: Service, receiver: Receiver, publish: Publish
) -> None:
    a = await service.endpoint(receiver.base + "/a", tenant="tenant-a")
    b = await service.endpoint(receiver.base + "/b", tenant="tenant-b")
    receiver.control(secrets=[a["secret"], b["secret"]])
    await publish(*JOURNEY[4], tenant="tenant-b")
    [got] = await eventually(lambda: at("/b", receiver))
    assert got["verified_with"] == [1]
    await eventually(lambda: service.deliveries(b["id"], tenant="tenant-b", status="delivered"))
    assert await service.runtime.extras["sender"].run_once() == 0
    assert at("/a", receiver) == []
    assert await service.deliveries(a["id"], tenant="tenant-a") == []
    [delivery] = await service.deliveries(b["id"], tenant="tenant-b")
    for path in (f"/v1/webhook-deliveries/{delivery['id']}", f"/v1/webhook-endpoints/{b['id']}/deliveries"):
        assert (await service.http.get(path, headers=auth("tenant-a"))).status_code == 404
    retry = await service.http.post(f"/v1/webhook-deliveries/{delivery['id']}/retry", headers=auth("tenant-a"))
    assert retry.status_code == 404


async def test_type_patterns_and_the_client_filter_choose_the_events(
    service: Service, receiver: Receiver, publish: Publish
) -> None:
    client_id = str(uuid.uuid4())
    invoices = await service.endpoint(receiver.base + "/invoices", event_types=["vcio.billing.invoice.*"])
    exact = await service.endpoint(receiver.base + "/exact", event_types=["vcio.catalog.package.published"])
    mine = await service.endpoint(receiver.base + "/mine", client_id=client_id)
    receiver.control(secrets=[invoices["secret"], exact["secret"], mine["secret"]])
    await publish("vcio.billing.invoice.issued", {"invoice_id": "i-9", "client_id": client_id})
    await publish("vcio.billing.invoice.paid", {"invoice_id": "i-8", "client_id": "someone-else"})
    await publish("vcio.billing.agreement.activated", {"agreement_id": "a-9", "client": {"id": client_id}})
    await publish("vcio.catalog.package.published", {"package_id": "p-9"})
    await eventually(lambda: len(receiver.received()) == 5)
    assert await service.runtime.extras["sender"].run_once() == 0

    def types(path: str) -> list[str]:
        return sorted(orjson.loads(r["body"])["type"] for r in at(path, receiver))

    assert types("/invoices") == ["vcio.billing.invoice.issued", "vcio.billing.invoice.paid"]
    assert types("/exact") == ["vcio.catalog.package.published"]
    assert types("/mine") == ["vcio.billing.agreement.activated", "vcio.billing.invoice.issued"]


async def test_test_pings_that_endpoint_only_and_retry_sends_the_same_webhook_id(
    service: Service, receiver: Receiver
) -> None:
    one = await service.endpoint(receiver.base + "/one")
    await service.endpoint(receiver.base + "/two")
    receiver.control(secrets=[one["secret"]])
    r = await service.http.post(f"/v1/webhook-endpoints/{one['id']}/test", headers=auth())
    assert r.status_code == 202
    assert (r.json()["event_type"], r.json()["status"]) == ("vcio.integrations.ping", "pending")
    [ping] = await eventually(lambda: at("/one", receiver))
    body = orjson.loads(ping["body"])
    assert (body["type"], body["data"]) == ("vcio.integrations.ping", {"endpoint_id": one["id"]})
    assert ping["verified_with"] == [0]
    again = await service.http.post(f"/v1/webhook-deliveries/{r.json()['id']}/retry", headers=auth())
    assert again.status_code == 202
    twice = await eventually(lambda: len(at("/one", receiver)) == 2 and at("/one", receiver))
    assert twice[1]["headers"]["webhook-id"] == twice[0]["headers"]["webhook-id"] == body["id"]
    assert at("/two", receiver) == []


async def test_a_slow_endpoint_holds_back_only_its_own_deliveries(
    service: Service, receiver: Receiver, other_receiver: Receiver, publish: Publish
) -> None:
    """A holds every answer back; B gets all 40 events meanwhile, and A has exactly PER_ENDPOINT requests open
    (the rest wait for a slot of A's, not for B). Released, A gets the other 24."""
    slow = await service.endpoint(receiver.url)
    fast = await service.endpoint(other_receiver.url)
    receiver.control(secrets=[slow["secret"]], hold=True)
    other_receiver.control(secrets=[fast["secret"]])
    sent = [await publish("vcio.billing.invoice.paid", {"invoice_id": f"i-{n}"}) for n in range(40)]

    async def b_recorded() -> bool:
        return len(await service.deliveries(fast["id"], status="delivered", limit="100")) == 40

    await eventually(b_recorded, timeout=12)  # under the 15 s A's requests may stay open
    assert len(at("/hook", other_receiver)) == 40
    assert len(at("/hook", receiver)) == PER_ENDPOINT  # A: exactly its bound in flight
    a_log = await service.deliveries(slow["id"], limit="100")
    assert (len(a_log), {d["status"] for d in a_log}, {len(d["attempts"]) for d in a_log}) == (40, {"pending"}, {0})

    receiver.control(hold=False)  # the 16 open answer 200; the other 24 follow
    # On a loaded machine B can take most of A's 15 s: an attempt of A's held past it is a timeout, retried 5 s
    # later by the injected clock. Move it on, so such a retry goes too (with the same webhook-id, as the spec has).
    service.clock.advance(minutes=1)

    async def a_recorded() -> bool:
        return len(await service.deliveries(slow["id"], status="delivered", limit="100")) == 40

    await eventually(a_recorded, timeout=30)
    ids = {orjson.loads(p)["id"] for p in sent}
    assert sorted(x["headers"]["webhook-id"] for x in at("/hook", other_receiver)) == sorted(ids)  # each once
    assert {x["headers"]["webhook-id"] for x in at("/hook", receiver)} == ids  # each, a timed-out one again
    for r in (receiver, other_receiver):
        assert {tuple(x["verified_with"]) for x in at("/hook", r)} == {(0,)}


@pytest.mark.parametrize("answer", [200, 500])
async def test_an_answer_recorded_after_a_retry_leaves_the_retry_due(
    service: Service, receiver: Receiver, answer: int
) -> None:
    """A retry asked for while an attempt is on its way: that attempt's answer, recorded after, is logged but does
    not undo the retry (it would mark the row delivered, or due in 5 s, and the retry would never go)."""
    endpoint = await service.endpoint(receiver.url)
    receiver.control(secrets=[endpoint["secret"]])
    later = START + dt.timedelta(hours=1)  # due in an hour: the running sender leaves it to this test's claim
    row = delivery_row(uuid.UUID(endpoint["id"]), "tenant-a", "evt-race", PAID, b'{"id": "evt-race"}', START)
    sessionmaker = service.runtime.sessionmaker
    async with sessionmaker() as session, session.begin():
        await repo.insert_new(session, [{**row, "next_attempt_at": later}])
    async with sessionmaker() as session, session.begin():
        [(claimed, _)] = await repo.claim_due(session, later, LEASE, 10)
    async with sessionmaker() as session, session.begin():
        await deliveries.retry(session, "tenant-a", row["id"], START)
        outcome = Outcome(later, answer, 12, None if answer == 200 else "HTTP 500")
        if answer == 200:
            await deliveries.record_delivered(session, [(claimed, outcome)])
        else:
            await deliveries.record(session, claimed, outcome, random.Random(1))

    [sent] = await eventually(lambda: at("/hook", receiver))  # the retry went
    assert (sent["headers"]["webhook-id"], sent["body"]) == ("evt-race", '{"id": "evt-race"}')
    assert sent["verified_with"] == [0]

    async def delivered() -> list[dict[str, Any]]:
        return await service.deliveries(endpoint["id"], status="delivered")

    [done] = await eventually(delivered)
    assert [(a["at"], a["status_code"]) for a in done["attempts"]] == [
        ("2027-01-04T10:00:00Z", answer),
        ("2027-01-04T09:00:00Z", 200),
    ]
    assert done["next_attempt_at"] is None


async def test_a_row_that_waited_for_its_slot_is_leased_again_or_left_to_the_replica_that_took_it(
    service: Service, receiver: Receiver, publish: Publish
) -> None:
    """20 rows of one endpoint claimed at once: 16 open, 4 wait for a slot while the clock nears their lease's
    end. Of those 4, the 2 another replica has taken meanwhile are not sent here; the other 2 are leased again,
    sent and recorded."""
    endpoint = await service.endpoint(receiver.url)
    receiver.control(secrets=[endpoint["secret"]], hold=True)
    events = [orjson.loads(await publish(PAID, {"invoice_id": f"i-{n}"}))["id"] for n in range(20)]
    await eventually(lambda: len(at("/hook", receiver)) == PER_ENDPOINT)
    sessionmaker = service.runtime.sessionmaker

    async def all_leased() -> bool:
        async with sessionmaker() as session:
            query = sa.select(sa.func.count()).where(repo.d.lease_until == START + LEASE)
            return int((await session.execute(query)).scalar_one()) == 20

    await eventually(all_leased)
    waiting = sorted(set(events) - {r["headers"]["webhook-id"] for r in at("/hook", receiver)})
    assert len(waiting) == 4
    service.clock.advance(seconds=30)  # 15 s of lease left: less than an attempt may take
    theirs = START + dt.timedelta(seconds=30) + LEASE + dt.timedelta(seconds=1)
    async with sessionmaker() as session, session.begin():  # what another replica's claim would have written
        await session.execute(
            sa.update(repo.deliveries).where(repo.d.event_id.in_(waiting[:2])).values(lease_until=theirs)
        )
    receiver.control(hold=False)

    async def settled() -> list[dict[str, Any]]:
        items = await service.deliveries(endpoint["id"], limit="100")
        return items if sum(d["status"] == "delivered" for d in items) == 18 else []

    by_event = {d["event_id"]: d for d in await eventually(settled)}
    arrived = [r["headers"]["webhook-id"] for r in at("/hook", receiver)]
    assert sorted(arrived) == sorted(set(events) - set(waiting[:2]))  # each once; the taken two never
    assert [(by_event[e]["status"], by_event[e]["attempts"]) for e in waiting[:2]] == [("pending", [])] * 2
    assert [by_event[e]["attempts"][0]["at"] for e in waiting[2:]] == ["2027-01-04T09:00:30Z"] * 2
    async with sessionmaker() as session:
        query = sa.select(repo.d.event_id, repo.d.lease_until).where(repo.d.event_id.in_(waiting))
        leases = dict((await session.execute(query)).all())
    assert leases == {waiting[0]: theirs, waiting[1]: theirs, waiting[2]: None, waiting[3]: None}
