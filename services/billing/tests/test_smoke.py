import datetime as dt

from billing_helpers import accept, accepted, agreement_for, invoices, lines, run


async def test_first_run_bills_prorated_first_period_with_onboarding(app, client) -> None:
    event = accepted(start="2027-01-15", one_time=[("Onboarding", "500.00")])
    assert await accept(app, event)
    agreement = await agreement_for(client, event)
    assert agreement["end_date"] == "2028-01-15"
    result = await run(client, dt.date(2027, 1, 15))
    assert result["invoices_created"] == 1
    [inv] = await invoices(client)
    assert inv["number"] == "INV-2027-000001"
    assert lines(inv) == [("2027-01-15", "2027-02-01", "822.58"), (None, None, "500.00")]
    assert inv["total"] == "1322.58"
