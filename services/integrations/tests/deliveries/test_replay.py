import datetime as dt

import orjson
from integrations_helpers import Publish, Receiver, Service

from vcio_shared.testing import auth, eventually


def at(path: str, receiver: Receiver) -> list[dict]:
    return [r for r in receiver.received() if r["path"] == path]


async def test_replay_sends_the_endpoints_events_since_a_time_again_from_the_streams(
    service: Service, receiver: Receiver, publish: Publish
) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    hook = await service.endpoint(receiver.url, event_types=["vcio.billing.*"])
    sent = [
        await publish("vcio.billing.invoice.issued", {"invoice_id": "i-1"}),
        await publish("vcio.billing.invoice.paid", {"invoice_id": "i-1"}),
        await publish("vcio.catalog.package.published", {"package_id": "p-1"}),  # not the endpoint's type
        await publish("vcio.billing.invoice.paid", {"invoice_id": "i-2"}, tenant="tenant-b"),  # not its tenant
    ]
    ids = sorted(orjson.loads(p)["id"] for p in sent[:2])
    await eventually(lambda: len(at("/hook", receiver)) == 2)
    late = await service.endpoint(receiver.base + "/late", event_types=["vcio.billing.*"])
    receiver.control(secrets=[hook["secret"], late["secret"]])

    r = await service.http.post(
        f"/v1/webhook-endpoints/{late['id']}/replay", json={"since": before.isoformat()}, headers=auth()
    )
    assert r.status_code == 202, r.text
    assert r.json()["queued"] == 2
    got = await eventually(lambda: len(at("/late", receiver)) == 2 and at("/late", receiver))
    assert sorted(g["headers"]["webhook-id"] for g in got) == ids
    assert sorted(g["body"].encode() for g in got) == sorted(sent[:2])
    assert {tuple(g["verified_with"]) for g in got} == {(1,)}

    r = await service.http.post(
        f"/v1/webhook-endpoints/{hook['id']}/replay", json={"since": before.isoformat()}, headers=auth()
    )
    assert r.json()["queued"] == 2
    again = await eventually(lambda: len(at("/hook", receiver)) == 4 and at("/hook", receiver))
    assert sorted(g["headers"]["webhook-id"] for g in again[2:]) == ids  # the same webhook-ids again
    assert len(await service.deliveries(hook["id"])) == 2  # the same two deliveries, sent once more

    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)).isoformat()
    r = await service.http.post(f"/v1/webhook-endpoints/{hook['id']}/replay", json={"since": later}, headers=auth())
    assert r.json()["queued"] == 0


async def test_replay_of_another_tenants_endpoint_is_404(service: Service) -> None:
    hook = await service.endpoint("https://hooks.example.com/x")
    r = await service.http.post(
        f"/v1/webhook-endpoints/{hook['id']}/replay", json={"since": "2027-01-01T00:00:00Z"}, headers=auth("tenant-b")
    )
    assert r.status_code == 404
