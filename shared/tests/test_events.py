"""CloudEvents: the fast bulk encoder writes exactly the bytes of the normal one."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from vcio_shared import events, money

NOW = dt.datetime(2027, 1, 1, 6, 30, 15, 123456, tzinfo=dt.UTC)


def _normal(event_id: str, tenant_id: str, subject: str | None, data: dict, now: dt.datetime) -> bytes:
    event = events.build("billing", "vcio.billing.invoice.issued", tenant_id, data, subject=subject, now=now)
    return events.encode(events.CloudEvent(**{**event.to_dict(), "id": event_id, "subject": subject}))


@pytest.mark.parametrize(
    ("tenant_id", "now"),
    [
        ("tenant-a", NOW),
        ('Zürich “MSP” \\ "quoted" 東京', NOW),
        ("t", dt.datetime(2027, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=-6)))),
    ],
)
def test_encode_heads_then_finish_is_encode_byte_for_byte(tenant_id: str, now: dt.datetime) -> None:
    datas = [
        {"id": "0190b5a2-0000-7000-8000-000000000001", "total": money.format(150000, "USD"), "lines": []},
        {"description": "Café — onboarding 🚀\n\t\u0001", "amount": money.format(-5, "KWD"), "n": 3, "ok": None},
        {"total": money.format(150000, "JPY"), "nested": {"a": [1, "ü", {"b": "\u2028"}]}},
        {},
    ]
    subjects: list[str | None] = ["0190b5a2-0000-7000-8000-000000000001", "Ünïcode subject", None, 'a "q"']
    heads = events.encode_heads("billing", "vcio.billing.invoice.issued", tenant_id, subjects, now=now)
    assert len(heads) == len(datas) == len(subjects)
    assert len({event_id for event_id, _ in heads}) == len(heads)  # a new id for each event
    for (event_id, head), subject, data in zip(heads, subjects, datas, strict=True):
        fast = events.finish(head, orjson.dumps(data))
        assert fast == _normal(event_id, tenant_id, subject, data, now)
        decoded = events.decode(fast, subject="vcio.billing.invoice.issued")
        assert (decoded.id, decoded.subject, decoded.tenantid, decoded.data) == (event_id, subject, tenant_id, data)


def test_encode_heads_checks_the_type_as_build_does() -> None:
    with pytest.raises(ValueError, match="may not publish"):
        events.encode_heads("billing", "vcio.catalog.package.published", "t", ["x"], now=NOW)
    assert events.encode_heads("billing", "vcio.billing.invoice.issued", "t", [], now=NOW) == []
