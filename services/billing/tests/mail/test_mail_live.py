"""The whole path on the running app: a billing run commits, the relay publishes invoice.issued to BILLING,
billing's own consumer writes the mail, the background sender delivers it to a real SMTP server. The same event
published again (a redelivery past JetStream's duplicate window) sends nothing twice."""

import asyncio

import nats
from billing_helpers import accept, accepted, invoices, run, stream_events
from mail_helpers import attachments, mail_app, parts, pdf_text
from nats.js.api import StreamConfig

from vcio_shared.events import encode
from vcio_shared.mail.testing import SmtpRecorder
from vcio_shared.testing import auth, eventually, running


async def test_a_billing_run_mails_each_invoice_once_through_the_bus(settings, clock) -> None:
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    for name in ("PROPOSALS", "SCHEDULER"):
        await js.add_stream(StreamConfig(name=name, subjects=[f"vcio.{name.lower()}.>"], duplicate_window=120))
    try:
        with SmtpRecorder() as smtp:
            app = mail_app(settings, clock, smtp, background=True)
            async with running(app) as client:
                assert await accept(app, accepted(monthly="1500.00", tax_rate="8.25"))
                assert await accept(app, accepted(monthly="310.10"))
                await run(client, "2027-01-01")
                totals = sorted(i["total"] for i in await invoices(client))
                assert totals == ["1623.75", "310.10"]
                await eventually(lambda: len(smtp.messages) == 2, timeout=60)
                issued = await stream_events(js, "vcio.billing.invoice.issued")
                assert len(issued) == 2
                # the very same events again, under new Nats-Msg-Ids (past the duplicate window)
                for event in issued:
                    await js.publish(event.type, encode(event), headers={"Nats-Msg-Id": f"again-{event.id}"})
                await asyncio.sleep(3)
                assert len(smtp.messages) == 2 and len(set(smtp.message_ids())) == 2
                mail = (await client.get("/v1/mail", params={"status": "sent"}, headers=auth())).json()["items"]
                assert sorted(m["cause"] for m in mail) == sorted(f"invoice.issued:{e.data['id']}" for e in issued)
                shown = sorted(pdf_text(next(iter(attachments(m).values()))) for m in smtp.messages)
                assert "Total 1623.75 USD" in shown[0] + shown[1] and "Total 310.10 USD" in shown[0] + shown[1]
                assert sorted(parts(m)[0].split("Total: ")[1].split("\n")[0] for m in smtp.messages) == [
                    "1623.75 USD",
                    "310.10 USD",
                ]
    finally:
        await nc.close()
