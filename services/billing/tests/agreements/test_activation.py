"""Activation from proposal.accepted and client.updated: one agreement per proposal, carrying its terms."""

import datetime as dt

from agreement_helpers import outbox_types
from billing_helpers import PROPOSALS, accept, accepted, agreement_for, invoices, run

from vcio_shared.bus import handle_once
from vcio_shared.events import build
from vcio_shared.testing import auth


async def test_agreement_carries_the_proposal_terms(app, client) -> None:
    event = accepted(
        start="2027-03-31", cycle="quarterly", monthly="2250.50", term=12, one_time=[("Onboarding", "1000.00")]
    )
    assert await accept(app, event)
    a = await agreement_for(client, event)
    assert (
        a["start_date"],
        a["end_date"],
        a["billing_cycle"],
        a["monthly_amount"],
        a["one_time_amount"],
        a["term_months"],
        a["status"],
        a["auto_renew"],
        a["next_bill_date"],
    ) == ("2027-03-31", "2028-03-31", "quarterly", "2250.50", "1000.00", 12, "active", True, "2027-03-31")
    assert (await client.get(f"/v1/agreements/{a['id']}", headers=auth())).json() == a


async def test_same_proposal_accepted_twice_with_new_event_ids_is_one_agreement(app, client) -> None:
    event = accepted()
    assert await accept(app, event)
    assert await accept(app, build("proposals", event.type, event.tenantid, event.data))  # a new event id: handled
    assert not await accept(app, event)  # the same event id: a duplicate, refused by the inbox
    assert len((await client.get("/v1/agreements", headers=auth())).json()["items"]) == 1
    assert (await outbox_types(app)).count("vcio.billing.agreement.activated") == 1


async def test_auto_renew_comes_from_the_accepted_proposal_and_defaults_to_true(app, client) -> None:
    off, on, old = accepted(), accepted(), accepted()
    off.data["auto_renew"] = False
    on.data["auto_renew"] = True
    assert "auto_renew" not in old.data  # an event sent before proposals added it
    for event in (off, on, old):
        await accept(app, event)
    assert [(await agreement_for(client, e))["auto_renew"] for e in (off, on, old)] == [False, True, True]


async def test_client_update_changes_the_tax_rate_of_later_invoices(app, client) -> None:
    event = accepted(start="2027-01-01", tax_rate="0")
    await accept(app, event)
    updated = build(
        "proposals",
        "vcio.proposals.client.updated",
        "tenant-a",
        {**event.data["client"], "tax_rate": "10", "payment_terms_days": 45},
    )
    await handle_once(app.state.runtime.sessionmaker, PROPOSALS, updated)
    await run(client, dt.date(2027, 1, 1))
    [inv] = await invoices(client)
    assert (inv["tax"], inv["total"], inv["due_date"]) == ("150.00", "1650.00", "2027-02-15")
