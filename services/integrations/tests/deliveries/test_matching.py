from integrations.deliveries.matching import client_of, concerns, type_matches


def test_type_patterns() -> None:
    assert type_matches([], "vcio.billing.invoice.paid")
    assert type_matches(["*"], "vcio.billing.invoice.paid")
    assert type_matches(["vcio.billing.*"], "vcio.billing.invoice.paid")
    assert type_matches(["vcio.billing.invoice.paid"], "vcio.billing.invoice.paid")
    assert not type_matches(["vcio.billing.invoice.paid"], "vcio.billing.invoice.paid.v2")
    assert not type_matches(["vcio.catalog.*", "vcio.billing.invoice.issued"], "vcio.billing.invoice.paid")


def test_the_client_an_event_concerns() -> None:
    assert client_of("vcio.billing.invoice.paid", {"client_id": "c"}) == "c"
    assert client_of("vcio.billing.agreement.activated", {"client": {"id": "c"}}) == "c"
    assert client_of("vcio.proposals.client.created", {"id": "c"}) == "c"
    assert client_of("vcio.catalog.package.published", {"id": "p"}) is None
    endpoint = {"event_types": [], "client_id": "c"}
    assert concerns(endpoint, "vcio.billing.invoice.paid", {"client_id": "c"})
    assert not concerns(endpoint, "vcio.catalog.package.published", {"id": "p"})
