"""A client with two completed assessments and a roadmap, from July fiscal years: the QBR tests' worked example."""

import datetime as dt
from typing import Any

import httpx
import pytest

from services.strategy.tests.support import CLIENT, initiative, july_roadmap, name_client
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth

FIRST_DONE = dt.datetime(2026, 9, 15, 10, 0, tzinfo=dt.UTC)  # fiscal 2027 Q1 (July to September 2026)
# The second assessment's answers, question by question of the conftest's standard (high 5, medium 3, low 1):
#   Strategy: Q1 high   yes                    aligned       5 x 1   = 5
#             Q2 medium no  rated marginal                   3 x 0.5 = 1.5   finding
#             Q3 low    no  (internal only)                  1 x 0   = 0     finding, never shown to the client
#   Security: Q4 high   yes rated vulnerable                 5 x 0   = 0     finding
#             Q5 high   no                                   5 x 0   = 0     finding
#             Q6 medium yes rated marginal                   3 x 0.5 = 1.5   finding, answered by a done initiative
# Strategy 6.5 / 9 = 72.22 -> "72.2"; Security 1.5 / 13 = 11.54 -> "11.5"; overall 8 / 22 = 36.36 -> "36.4".
# The first assessment: every answer yes, 100.0; so the change is -63.6.
ANSWERS = [
    {"answer": "yes"},
    {"answer": "no", "rating": "marginal"},
    {"answer": "no", "notes": "asset list is a spreadsheet on the engineer's laptop"},
    {"answer": "yes", "rating": "vulnerable"},
    {"answer": "no"},
    {"answer": "yes", "rating": "marginal"},
]


async def _assess(client: httpx.AsyncClient, standard: dict[str, Any], answers: list[dict[str, Any]]) -> list[str]:
    body = {"client_id": CLIENT, "standard_id": standard["id"]}
    a = (await client.post("/v1/assessments", json=body, headers=auth())).json()
    ids = []
    for q, answer in zip([q for s in standard["sections"] for q in s["questions"]], answers, strict=True):
        r = await client.put(f"/v1/assessments/{a['id']}/responses/{q['id']}", json=answer, headers=auth())
        assert r.status_code == 200, r.text
        ids.append(next(x["id"] for x in r.json()["responses"] if x["question_id"] == q["id"]))
    assert (await client.post(f"/v1/assessments/{a['id']}/complete", headers=auth())).status_code == 200
    return ids


@pytest.fixture
async def worked(client: httpx.AsyncClient, nats_url: str, create_standard: Any, clock: FixedClock) -> None:
    """Two assessments, the July roadmap of `support.july_roadmap` and two more initiatives:
    FY2027 Q3 "Backup and recovery": 2,500.00 one-time + 1,800.00 a year = 4,300.00;
    "Security awareness training", unscheduled and done, answering the Q6 finding."""
    await name_client(client, nats_url)
    standard = await create_standard()
    now = clock.now()
    clock.set(FIRST_DONE)
    await _assess(client, standard, [{"answer": "yes"}] * 6)
    clock.set(now)
    answer_ids = await _assess(client, standard, ANSWERS)
    await july_roadmap(client)
    await initiative(
        client,
        "Backup and recovery",
        2027,
        3,
        one_time=[{"label": "Setup", "amount": "2500.00"}],
        recurring=[{"label": "Backup", "amount": "1800.00", "frequency": "yearly"}],
    )
    done = await initiative(
        client, "Security awareness training", None, None, status="approved", finding_ids=[answer_ids[5]]
    )
    for status in ("in_progress", "done"):
        r = await client.patch(f"/v1/initiatives/{done['id']}", json={"status": status}, headers=auth())
        assert r.status_code == 200, r.text
