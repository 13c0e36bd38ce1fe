"""The billing consumer: events from the stream, redelivery, dead letters, the `plan.created` CloudEvent."""

import uuid

from scheduler_helpers import TENANT, Scheduler, activated_data, activity, auth_headers, billing_event

from vcio_shared.testing import eventually

ACTIVATED = "vcio.billing.agreement.activated"


async def test_published_activation_is_planned_by_the_durable_consumer(svc: Scheduler) -> None:
    data = activated_data(activities=[activity(cadence="FREQ=MONTHLY")])
    await svc.publish(billing_event(ACTIVATED, data))

    async def planned() -> bool:
        return (
            await svc.scalar(
                "SELECT count(*) FROM activities WHERE agreement_id = :a", a=uuid.UUID(data["agreement_id"])
            )
            == 12
        )

    await eventually(planned)


async def test_same_event_published_twice_gives_one_plan(svc: Scheduler) -> None:
    data = activated_data(activities=[activity(cadence="FREQ=MONTHLY")])
    event = billing_event(ACTIVATED, data)
    await svc.publish_and_wait(event)
    # a redelivery after JetStream's duplicate window: handled again by the consumer, recognised by the inbox
    assert await svc.handle(event) is False
    await svc.publish(billing_event(ACTIVATED, data))  # same agreement under a new event id
    await eventually(lambda: svc.scalar("SELECT count(*) = 2 FROM inbox"))
    assert await svc.scalar("SELECT count(*) FROM activities") == 12
    assert await svc.scalar("SELECT count(*) FROM agreements") == 1
    assert len(await svc.outbox("vcio.scheduler.plan.created")) == 1


async def test_invalid_cadence_is_dead_lettered_and_plans_nothing(svc: Scheduler) -> None:
    data = activated_data(activities=[activity(cadence="FREQ=HOURLY")])
    await svc.publish(billing_event(ACTIVATED, data))
    rows = await eventually(lambda: svc.rows("SELECT consumer, error FROM dead_letters"))
    assert rows[0]["consumer"] == "scheduler--billing"
    assert "more frequent than daily" in rows[0]["error"]
    assert await svc.scalar("SELECT count(*) FROM activities") == 0
    r = await svc.client.get("/v1/dead-letters", headers=auth_headers())
    assert len(r.json()["items"]) == 1


async def test_cancellation_redelivered_changes_nothing_more(svc: Scheduler) -> None:
    data = await svc.activate()
    event = billing_event(
        "vcio.billing.agreement.cancelled",
        {"agreement_id": data["agreement_id"], "client_id": data["client"]["id"], "effective_date": "2027-07-01"},
    )
    assert await svc.handle(event) is True
    assert await svc.handle(event) is False
    assert await svc.scalar("SELECT count(*) FROM activities WHERE status = 'cancelled'") == 6
    assert len(await svc.outbox("vcio.scheduler.plan.changed")) == 1


async def test_plan_created_event_payload_is_a_cloudevent(svc: Scheduler) -> None:
    data = await svc.activate()
    [event] = await svc.outbox("vcio.scheduler.plan.created")
    assert event["specversion"] == "1.0"
    assert event["source"] == "/vcio/scheduler"
    assert event["type"] == "vcio.scheduler.plan.created"
    assert (event["subject"], event["tenantid"]) == (data["agreement_id"], TENANT)
