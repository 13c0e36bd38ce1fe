"""deploy/nats.conf: one user per service; a service is refused on a foreign subject or stream."""

import asyncio
import datetime as dt
import importlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

from integrations.deliveries.replay import stream_events
from vcio_shared.bus import Bus
from vcio_shared.embedded import NatsServer
from vcio_shared.events import build, encode

CONF = Path(__file__).resolve().parents[1] / "deploy" / "nats.conf"
SERVICES = ("catalog", "proposals", "billing", "scheduler", "integrations", "strategy")
STREAMS = ("CATALOG", "PROPOSALS", "BILLING", "SCHEDULER", "STRATEGY", "INTEGRATIONS")  # what integrations sends out


@pytest.fixture
def secured_nats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NatsServer]:
    for service in SERVICES:
        monkeypatch.setenv(f"VCIO_NATS_{service.upper()}_PASSWORD", f"pw-{service}")
    server = NatsServer(tmp_path / "js", config=CONF).start()
    yield server
    server.stop()


def url(server: NatsServer, service: str) -> str:
    return f"nats://{service}:pw-{service}@127.0.0.1:{server.port}"


@pytest.fixture
async def buses(secured_nats: NatsServer) -> AsyncIterator[dict[str, Bus]]:
    """Every service's real Bus, each creating its own stream under its own user."""
    buses = {s: Bus(url(secured_nats, s), s) for s in SERVICES}
    for bus in buses.values():
        bus.start()
    await asyncio.wait_for(asyncio.gather(*(b.connected.wait() for b in buses.values())), 10)
    yield buses
    for bus in buses.values():
        await bus.close()


async def test_each_service_publishes_to_its_own_stream(buses: dict[str, Bus]) -> None:
    for service, bus in buses.items():
        ack = await bus.js.publish(f"vcio.{service}.thing.happened", b"{}", headers={"Nats-Msg-Id": service})
        assert ack.stream == service.upper()


async def test_a_service_is_refused_on_a_foreign_subject(buses: dict[str, Bus], secured_nats: NatsServer) -> None:
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    nc = await nats.connect(url(secured_nats, "catalog"), error_cb=on_error)
    js = nc.jetstream(timeout=1)
    with pytest.raises(nats.errors.TimeoutError):
        await js.publish("vcio.billing.invoice.issued", b"{}")
    await nc.close()
    assert any("permissions violation" in e.lower() and "vcio.billing.invoice.issued" in e for e in errors)
    info = await buses["billing"].js.stream_info("BILLING")
    assert info.state.messages == 0


async def test_a_service_consumes_only_through_its_own_durable(buses: dict[str, Bus]) -> None:
    own = ConsumerConfig(durable_name="scheduler--billing", filter_subject="vcio.billing.agreement.activated")
    created = await buses["scheduler"].js.add_consumer("BILLING", own)
    assert created.name == "scheduler--billing"
    foreign = ConsumerConfig(durable_name="scheduler--snoop", filter_subject="vcio.catalog.>")
    with pytest.raises((nats.errors.TimeoutError, TimeoutError)):
        await asyncio.wait_for(buses["scheduler"].js.add_consumer("CATALOG", foreign), 3)


async def test_a_service_cannot_create_or_delete_another_services_stream(buses: dict[str, Bus]) -> None:
    js = buses["proposals"].js
    with pytest.raises((nats.errors.TimeoutError, TimeoutError)):
        await asyncio.wait_for(
            js.add_stream(StreamConfig(name="BILLING2", subjects=["vcio.billing2.>"], storage=StorageType.MEMORY)), 3
        )
    with pytest.raises((nats.errors.TimeoutError, TimeoutError)):
        await asyncio.wait_for(js.delete_stream("CATALOG"), 3)


WEBHOOKS = "integrations--webhooks"
REFUSED = (nats.errors.TimeoutError, TimeoutError, nats.js.errors.APIError)


async def _publish_one_each(buses: dict[str, Bus], tag: str) -> list[bytes]:
    """One CloudEvent `vcio.<service>.thing.<tag>` on each stream, published by its owner; the bytes sent."""
    sent = []
    for stream in STREAMS:
        service = stream.lower()
        event = build(service, f"vcio.{service}.thing.{tag}", "tenant-a", {"tag": tag})
        await buses[service].js.publish(event.type, encode(event), headers={"Nats-Msg-Id": event.id})
        sent.append(encode(event))
    return sent


async def test_integrations_consumes_every_stream_through_its_own_durable(buses: dict[str, Bus]) -> None:
    await _publish_one_each(buses, "happened")
    js = buses["integrations"].js
    for stream in STREAMS:
        config = ConsumerConfig(durable_name=WEBHOOKS, ack_policy=AckPolicy.EXPLICIT, filter_subject="vcio.>")
        assert (await js.add_consumer(stream, config)).name == WEBHOOKS
        assert (await js.consumer_info(stream, WEBHOOKS)).num_pending == 1
        sub = await js.pull_subscribe_bind(WEBHOOKS, stream=stream)
        [msg] = await sub.fetch(1, timeout=5)
        assert msg.subject == f"vcio.{stream.lower()}.thing.happened"
        await msg.ack_sync()
        assert (await js.consumer_info(stream, WEBHOOKS)).num_ack_pending == 0


async def test_integrations_replays_the_streams_from_a_time(buses: dict[str, Bus]) -> None:
    """The service's own replay reader, under its NATS user: what `replay` reads back from the streams."""
    await _publish_one_each(buses, "before")
    await asyncio.sleep(0.05)
    since = dt.datetime.now(dt.UTC)
    after = await _publish_one_each(buses, "after")
    later = await _publish_one_each(buses, "later")
    for n, stream in enumerate(STREAMS):
        read = [payload async for payload, _ in stream_events(buses["integrations"].js, stream, "vcio.>", since)]
        assert read == [after[n], later[n]]


async def test_integrations_cannot_touch_another_services_consumer_or_stream(buses: dict[str, Bus]) -> None:
    await _publish_one_each(buses, "happened")
    owner = ConsumerConfig(durable_name="billing--proposals", ack_policy=AckPolicy.EXPLICIT)
    await buses["billing"].js.add_consumer("PROPOSALS", owner)
    js = buses["integrations"].js
    # Another service's durable: neither fetched from, nor reconfigured through the nameless create subject,
    # which takes whatever consumer name its body gives (granted, it let integrations set max_deliver to 1).
    stolen = await js.pull_subscribe_bind("billing--proposals", stream="PROPOSALS")
    with pytest.raises(REFUSED):
        await asyncio.wait_for(stolen.fetch(1, timeout=2), 3)
    hijack = ConsumerConfig(name="billing--proposals", ack_policy=AckPolicy.EXPLICIT, ack_wait=1.0, max_deliver=1)
    body = json.dumps({"stream_name": "PROPOSALS", "config": hijack.as_dict()}).encode()
    with pytest.raises(REFUSED):
        await asyncio.wait_for(js._jsm._api_request("$JS.API.CONSUMER.CREATE.PROPOSALS", body, timeout=2), 3)
    info = await buses["billing"].js.consumer_info("PROPOSALS", "billing--proposals")
    assert (info.num_pending, info.config.max_deliver, info.config.ack_wait) == (1, -1, 30.0)
    with pytest.raises(REFUSED):
        await asyncio.wait_for(js.delete_consumer("PROPOSALS", "billing--proposals"), 3)
    with pytest.raises(REFUSED):
        await asyncio.wait_for(js.delete_stream("BILLING"), 3)
    with pytest.raises(REFUSED):
        await asyncio.wait_for(js.publish("vcio.billing.invoice.issued", b"{}"), 3)
    assert (await buses["billing"].js.stream_info("BILLING")).state.messages == 1


@pytest.mark.parametrize("service", SERVICES)
async def test_every_consumer_a_service_declares_is_allowed_under_its_user(buses: dict[str, Bus], service: str) -> None:
    """Each durable consumer in a service's SPEC, created as the service creates it, under that service's user:
    a consumer added to the code but not to nats.conf would never receive an event in production."""
    spec = importlib.import_module(f"{service}.main").SPEC
    for consumer in spec.consumers:
        config = ConsumerConfig(
            durable_name=consumer.name, filter_subjects=list(consumer.subjects), ack_policy=AckPolicy.EXPLICIT
        )
        created = await asyncio.wait_for(buses[service].js.add_consumer(consumer.stream, config), 5)
        assert created.name == consumer.name


async def test_strategy_consumes_proposals_scheduler_and_billing_through_its_own_durables(
    buses: dict[str, Bus],
) -> None:
    js = buses["strategy"].js
    for stream, name in (
        ("PROPOSALS", "strategy--proposals"),
        ("SCHEDULER", "strategy--scheduler"),
        ("BILLING", "strategy--billing"),
    ):
        config = ConsumerConfig(durable_name=name, ack_policy=AckPolicy.EXPLICIT, filter_subject="vcio.>")
        assert (await js.add_consumer(stream, config)).name == name
    foreign = ConsumerConfig(durable_name="strategy--catalog", filter_subject="vcio.catalog.>")
    with pytest.raises(REFUSED):
        await asyncio.wait_for(js.add_consumer("CATALOG", foreign), 3)
