import json
import uuid

import nats
from integrations_helpers import Receiver, Service

from vcio_shared.testing import eventually


async def test_the_body_is_the_messages_bytes_even_where_a_re_encoding_would_differ(
    service: Service, receiver: Receiver, nats_url: str
) -> None:
    endpoint = await service.endpoint(receiver.url)
    receiver.control(secrets=[endpoint["secret"]])
    event_id = str(uuid.uuid4())
    event = {
        "specversion": "1.0",
        "id": event_id,
        "source": "/vcio/billing",
        "type": "vcio.billing.invoice.paid",
        "time": "2027-01-04T09:00:00+00:00",
        "tenantid": "tenant-a",
        "datacontenttype": "application/json",
        "data": {"invoice_id": "i-1", "note": "Zürich café", "total": "1500.00"},
    }
    # Spaces after separators and \\u escapes: orjson would write neither, so only the message's own bytes match.
    payload = json.dumps(event, indent=1, ensure_ascii=True).encode()
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().publish("vcio.billing.invoice.paid", payload, headers={"Nats-Msg-Id": event_id})
    finally:
        await nc.close()
    [got] = await eventually(lambda: receiver.received())
    assert got["body"].encode() == payload
    assert got["verified_with"] == [0]
    assert got["headers"]["webhook-id"] == event_id
