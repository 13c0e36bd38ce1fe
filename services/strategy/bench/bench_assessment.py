"""Benchmark: scoring an assessment of 200 questions (GET /v1/assessments/{id}: its questions, answers, section
scores and findings), beside a raw baseline measured in the same run: the same two reads as bare SQL.

    .venv/bin/python services/strategy/bench/bench_assessment.py [rounds=200]

Uses BENCH_DATABASE_URL (a superuser URL) or starts a throwaway embedded PostgreSQL, and a throwaway
nats-server. The app runs in this process (ASGI transport, no network). Prints figures; never fails on a time
(a benchmark is not a test).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import psycopg

from strategy.main import build_app
from vcio_shared.embedded import NatsServer, Postgres
from vcio_shared.migrations import upgrade
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, auth, running

SECTIONS, PER_SECTION = 10, 20
ANSWERS = [
    {"answer": "yes"},
    {"answer": "no", "rating": "marginal"},
    {"answer": "yes", "rating": "vulnerable"},
    {"answer": "na"},
    {"answer": "no"},
]


def standard() -> dict[str, object]:
    priorities = ("high", "medium", "low")
    return {
        "name": "Bench: 200 questions",
        "sections": [
            {
                "name": f"Section {s}",
                "questions": [
                    {"text": f"Question {s}.{q}?", "priority": priorities[q % 3]} for q in range(PER_SECTION)
                ],
            }
            for s in range(SECTIONS)
        ],
    }


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(url: str, nats_url: str, rounds: int) -> None:
    settings = load_settings("strategy", database_url=url, nats_url=nats_url, jwt_secret=TEST_SECRET)
    h = auth()
    async with running(build_app(settings, run_background=False)) as http:
        made = (await http.post("/v1/standards", json=standard(), headers=h)).json()
        await http.post(f"/v1/standards/{made['id']}/publish", headers=h)
        body = {"client_id": "0195b2d0-0000-7000-8000-00000000be01", "standard_id": made["id"]}
        assessment = (await http.post("/v1/assessments", json=body, headers=h)).json()
        ids = [q["id"] for s in made["sections"] for q in s["questions"]]
        for n, qid in enumerate(ids):
            await http.put(f"/v1/assessments/{assessment['id']}/responses/{qid}", json=ANSWERS[n % 5], headers=h)
        path = f"/v1/assessments/{assessment['id']}"
        for _ in range(20):  # warm-up
            await http.get(path, headers=h)
        scored = []
        for _ in range(rounds):
            start = time.perf_counter()
            r = await http.get(path, headers=h)
            scored.append((time.perf_counter() - start) * 1000)
        result = r.json()
    conn = await asyncpg.connect(url)
    raw = []
    try:
        for _ in range(20 + rounds):
            start = time.perf_counter()
            await conn.fetch(
                "SELECT * FROM questions WHERE standard_id = $1 ORDER BY section_position, position", made["id"]
            )
            await conn.fetch("SELECT * FROM responses WHERE assessment_id = $1", assessment["id"])
            raw.append((time.perf_counter() - start) * 1000)
    finally:
        await conn.close()
    raw = raw[20:]
    print(f"assessment of {len(ids)} questions: score {result['score']}, {len(result['findings'])} findings")
    print(f"  GET scored   p50 {statistics.median(scored):7.2f} ms  p99 {p(scored, 0.99):7.2f} ms  ({rounds} rounds)")
    print(f"  raw 2 reads  p50 {statistics.median(raw):7.2f} ms  p99 {p(raw, 0.99):7.2f} ms")


def main(rounds: int) -> None:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-strategy-")))
        tmp.chmod(0o755)
        admin = os.environ.get("BENCH_DATABASE_URL")
        if not admin:
            pg = Postgres(tmp / "pg").start()
            stack.callback(pg.stop)
            admin = pg.url
        nats_server = NatsServer(tmp / "js").start()
        stack.callback(nats_server.stop)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "bench_strategy" WITH (FORCE)')
            conn.execute('CREATE DATABASE "bench_strategy"')
        url = admin.rpartition("/")[0] + "/bench_strategy"
        upgrade("strategy", url)
        asyncio.run(run(url, nats_server.url, rounds))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
