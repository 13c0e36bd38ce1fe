"""Benchmark: a QBR report assembled (POST /v1/reports: every snapshot taken: a 200-question assessment's score,
trend and findings, a roadmap of 12 initiatives) and rendered to PDF (GET /v1/reports/{id}/pdf, WeasyPrint; each
round a new report, so the PDF cache never answers).

    .venv/bin/python services/strategy/bench/bench_report.py [rounds=30]

Uses BENCH_DATABASE_URL (a superuser URL) or starts a throwaway embedded PostgreSQL, and a throwaway
nats-server, as bench_assessment.py does. Prints figures; never fails on a time (a benchmark is not a test).
"""

from __future__ import annotations

import statistics
import sys
import time

import httpx
from bench_assessment import ANSWERS, p, standard
from bench_assessment import main as bench_main

from strategy.main import build_app
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, auth, running

CLIENT = "0195b2d0-0000-7000-8000-00000000be02"


async def _prepare(http: httpx.AsyncClient, h: dict[str, str]) -> None:
    """Twelve initiatives over fiscal 2027 and 2028 (they make strategy know the client), then a completed
    assessment of 200 questions."""
    for n in range(12):
        body = {
            "client_id": CLIENT,
            "title": f"Initiative {n}",
            "category": "infrastructure",
            "priority": "high",
            "fiscal_year": 2027 + n // 8,
            "quarter": n % 4 + 1,
            "budget": {
                "currency": "USD",
                "one_time": [{"label": "Work", "amount": f"{1000 + n * 250}.00"}],
                "recurring": [{"label": "Licences", "amount": "22.00", "frequency": "monthly", "quantity": n + 1}],
            },
        }
        assert (await http.post("/v1/initiatives", json=body, headers=h)).status_code == 201
    made = (await http.post("/v1/standards", json=standard(), headers=h)).json()
    await http.post(f"/v1/standards/{made['id']}/publish", headers=h)
    body = {"client_id": CLIENT, "standard_id": made["id"]}
    assessment = (await http.post("/v1/assessments", json=body, headers=h)).json()
    ids = [q["id"] for s in made["sections"] for q in s["questions"]]
    for n, qid in enumerate(ids):
        await http.put(f"/v1/assessments/{assessment['id']}/responses/{qid}", json=ANSWERS[n % 5], headers=h)
    assert (await http.post(f"/v1/assessments/{assessment['id']}/complete", headers=h)).status_code == 200


async def run(url: str, nats_url: str, rounds: int) -> None:
    settings = load_settings("strategy", database_url=url, nats_url=nats_url, jwt_secret=TEST_SECRET)
    h = auth()
    assembled, rendered, size = [], [], 0
    async with running(build_app(settings, run_background=False)) as http:
        await _prepare(http, h)
        body = {"client_id": CLIENT, "quarter": "2027-Q2"}
        for n in range(3 + rounds):  # the first three warm up (WeasyPrint's import and fonts among them)
            start = time.perf_counter()
            r = await http.post("/v1/reports", json=body, headers=h)
            made = time.perf_counter()
            pdf = await http.get(f"/v1/reports/{r.json()['id']}/pdf", headers=h)
            done = time.perf_counter()
            assert pdf.status_code == 200, pdf.text
            if n >= 3:
                assembled.append((made - start) * 1000)
                rendered.append((done - made) * 1000)
                size = len(pdf.content)
    print(f"QBR report: {len(r.json()['sections'])} sections, PDF {size // 1024} KiB")
    print(f"  assembled (POST)  p50 {statistics.median(assembled):8.2f} ms  p99 {p(assembled, 0.99):8.2f} ms")
    print(f"  rendered (PDF)    p50 {statistics.median(rendered):8.2f} ms  p99 {p(rendered, 0.99):8.2f} ms")
    print(f"  ({rounds} rounds)")


if __name__ == "__main__":
    import bench_assessment

    bench_assessment.run = run  # the same throwaway servers and database, this benchmark's rounds
    bench_main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
