"""Helpers of the staff-mail tests: staff with an address, assignment, and reading what the SMTP server got."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from scheduler_helpers import TENANT, Scheduler, auth_headers


async def staff(svc: Scheduler, name: str, email: str | None, roles: list[str], tenant: str = TENANT) -> str:
    body: dict[str, Any] = {"name": name, "email": email, "roles": roles, "weekly_capacity_hours": "40"}
    r = await svc.client.post("/v1/staff", json=body, headers=auth_headers(tenant))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def assign(svc: Scheduler, activity_id: str, staff_id: str, tenant: str = TENANT) -> None:
    r = await svc.client.post(
        f"/v1/activities/{activity_id}/assign", json={"assignee_id": staff_id}, headers=auth_headers(tenant)
    )
    assert r.status_code == 200, r.text


async def settings(svc: Scheduler, tenant: str = TENANT, **body: Any) -> dict[str, Any]:
    r = await svc.client.put("/v1/settings", json=body, headers=auth_headers(tenant))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def by_due(svc: Scheduler, agreement_id: str, tenant: str = TENANT) -> dict[str, str]:
    """An agreement's activity ids by due date (ISO)."""
    return {a["due_date"]: a["id"] for a in await svc.activities(agreement_id, tenant)}


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies of a message."""
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


async def mail_items(svc: Scheduler, tenant: str = TENANT, **params: str) -> list[dict[str, Any]]:
    r = await svc.client.get("/v1/mail", params=params, headers=auth_headers(tenant))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])
