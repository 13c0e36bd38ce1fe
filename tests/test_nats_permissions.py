"""deploy/nats.conf: one user per service; a service is refused on a foreign subject or stream."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.js.api import ConsumerConfig, StorageType, StreamConfig

from vcio_shared.bus import Bus
from vcio_shared.embedded import NatsServer

CONF = Path(__file__).resolve().parents[1] / "deploy" / "nats.conf"
SERVICES = ("catalog", "proposals", "billing", "scheduler")


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
