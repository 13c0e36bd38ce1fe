"""The plan route: tenancy."""

from scheduler_helpers import OTHER, Scheduler, auth_headers


async def test_plan_of_another_tenant_is_not_found(svc: Scheduler) -> None:
    data = await svc.activate()
    r = await svc.client.get(f"/v1/plans/{data['agreement_id']}", headers=auth_headers(OTHER))
    assert r.status_code == 404
    r = await svc.client.get(
        "/v1/activities", params={"agreement_id": data["agreement_id"]}, headers=auth_headers(OTHER)
    )
    assert r.json() == {"items": [], "next_cursor": None}
