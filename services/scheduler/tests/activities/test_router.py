"""Activity routes: lists, filters and cursors, bad input as 422, scopes, tenancy."""

from scheduler_helpers import OTHER, Scheduler, auth_headers

H = auth_headers()


async def test_list_filters_by_client_status_and_due_range(svc: Scheduler) -> None:
    a = await svc.activate()
    await svc.activate()
    r = await svc.client.get(
        "/v1/activities",
        params={"client_id": a["client"]["id"], "due_from": "2027-03-01", "due_to": "2027-05-04", "status": "planned"},
        headers=H,
    )
    assert [x["due_date"] for x in r.json()["items"]] == ["2027-03-04", "2027-04-05", "2027-05-04"]


async def test_list_pages_with_a_cursor(svc: Scheduler) -> None:
    data = await svc.activate()
    r1 = await svc.client.get("/v1/activities", params={"limit": 5}, headers=H)
    body = r1.json()
    assert len(body["items"]) == 5
    r2 = await svc.client.get("/v1/activities", params={"limit": 200, "cursor": body["next_cursor"]}, headers=H)
    assert len(r2.json()["items"]) == 7
    assert r2.json()["next_cursor"] is None
    assert {x["agreement_id"] for x in r2.json()["items"]} == {data["agreement_id"]}


async def test_list_filters_by_whether_anyone_has_the_activity(svc: Scheduler) -> None:
    """assigned=false: the work nobody has (planned while its role had no staff); true: the rest."""
    before = await svc.activate()  # no staff yet: its 12 monthly reviews stay unassigned
    await svc.add_staff("Dana", ["vcio"])
    after = await svc.activate()  # Dana takes every one of these

    async def listed(**params: str) -> tuple[list[tuple[str, bool]], int]:
        r = await svc.client.get("/v1/activities", params={"limit": 200, **params}, headers=H)
        assert r.status_code == 200, r.text
        return sorted({(x["agreement_id"], x["assignee_id"] is None) for x in r.json()["items"]}), len(
            r.json()["items"]
        )

    assert await listed(assigned="false") == ([(before["agreement_id"], True)], 12)
    assert await listed(assigned="true") == ([(after["agreement_id"], False)], 12)
    assert await listed(assigned="false", due_to="2027-02-04") == ([(before["agreement_id"], True)], 2)
    assert (await svc.client.get("/v1/activities", params={"assigned": "maybe"}, headers=H)).status_code == 422


BAD_LIST_PARAMS = [
    {"limit": 0},
    {"limit": 201},
    {"status": "done"},
    {"due_from": "2027-02-30"},
    {"client_id": "not-a-uuid"},
    {"cursor": "!!!"},
    {"overdue": "maybe"},
    {"due_from": "2027-03-01", "due_to": "2027-02-01"},
    {"due_to": "0001-01-01"},
]


async def test_bad_list_parameters_are_422(client) -> None:
    for params in BAD_LIST_PARAMS:
        r = await client.get("/v1/activities", params=params, headers=H)
        assert r.status_code == 422, params
        assert r.headers["content-type"] == "application/problem+json"


async def test_bad_activity_id_in_path_is_422(client) -> None:
    assert (await client.get("/v1/activities/123", headers=H)).status_code == 422


async def test_write_needs_the_write_scope(svc: Scheduler) -> None:
    a = await svc.first_activity()
    r = await svc.client.post(
        f"/v1/activities/{a['id']}/skip", json={"reason": "r"}, headers=auth_headers(scopes="scheduler:read")
    )
    assert r.status_code == 403


async def test_another_tenants_activity_is_404_everywhere(svc: Scheduler) -> None:
    a = await svc.first_activity()
    other = auth_headers(OTHER)
    assert (await svc.client.get(f"/v1/activities/{a['id']}", headers=other)).status_code == 404
    assert (await svc.client.get(f"/v1/activities/{a['id']}/history", headers=other)).status_code == 404
    for action, body in [
        ("schedule", {"date": "2027-01-06"}),
        ("reschedule", {"date": "2027-01-06", "reason": "r"}),
        ("assign", {"assignee_id": None}),
        ("complete", {"outcome": "x"}),
        ("skip", {"reason": "r"}),
        ("cancel", {"reason": "r"}),
    ]:
        r = await svc.client.post(f"/v1/activities/{a['id']}/{action}", json=body, headers=other)
        assert r.status_code == 404, action
    assert (await svc.client.get(f"/v1/activities/{a['id']}", headers=H)).json()["status"] == "planned"
