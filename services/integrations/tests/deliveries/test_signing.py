import datetime as dt

import pytest
from standardwebhooks import Webhook

from integrations.deliveries.signing import headers, signature
from integrations.endpoints.secrets import new_secret

BODY = b'{"specversion":"1.0","id":"e-1","type":"vcio.billing.invoice.paid","data":{"total":"1500.00"}}'


def test_an_aware_non_utc_time_signs_the_same_second_as_its_utc_time() -> None:
    secret = new_secret()
    utc = dt.datetime(2027, 1, 4, 9, 0, 0, tzinfo=dt.UTC)
    new_york = utc.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert signature([secret], "e-1", new_york, BODY) == signature([secret], "e-1", utc, BODY)
    # The library alone, given the New York time, signs 09:00 as if it were UTC: 5 hours off.
    assert Webhook(secret).sign("e-1", new_york, BODY.decode()) != signature([secret], "e-1", utc, BODY)


def test_the_headers_verify_with_the_library_and_carry_one_signature_per_secret() -> None:
    old, new = new_secret(), new_secret()
    now = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=9)))
    sent = headers([new, old], "e-1", now, BODY)
    assert sent["webhook-timestamp"] == str(int(now.timestamp()))
    assert sent["webhook-signature"].count("v1,") == 2
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, sent) == {
            "specversion": "1.0",
            "id": "e-1",
            "type": "vcio.billing.invoice.paid",
            "data": {"total": "1500.00"},
        }


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        signature([new_secret()], "e-1", dt.datetime(2027, 1, 4, 9, 0), BODY)
