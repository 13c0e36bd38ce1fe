"""A server-side profile of PostgreSQL: every statement's duration while a block runs (`--profile` only).

Turns on `log_min_duration_statement = 0` with ALTER SYSTEM + pg_reload_conf() on the bench's own throwaway
server, then sums the logged durations per statement shape (numbers and literals folded away)."""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import psycopg

DURATION = re.compile(r"duration: ([0-9.]+) ms\s+(?:statement|execute [^:]*|bind [^:]*|parse [^:]*):\s*(.*)")


def _shape(sql: str) -> str:
    sql = re.sub(r"\$\d+", "$", sql)
    sql = re.sub(r"'[^']*'", "'…'", sql)
    sql = re.sub(r"\b\d+\b", "N", sql)
    return " ".join(sql.split())[:160]


class StatementLog:
    def __init__(self, admin_url: str, log_path: Path, enabled: bool = True) -> None:
        self.admin_url, self.log_path, self.enabled = admin_url, log_path, enabled
        self.offset = 0
        self.top: list[dict[str, Any]] = []

    def _set(self, value: str | None) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            if value is None:
                conn.execute("ALTER SYSTEM RESET log_min_duration_statement")
            else:
                conn.execute(f"ALTER SYSTEM SET log_min_duration_statement = {value}")
            conn.execute("SELECT pg_reload_conf()")

    def __enter__(self) -> StatementLog:
        if self.enabled:
            self.offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            self._set("0")
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.enabled:
            return
        self._set(None)
        per: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0])
        total = 0.0
        with self.log_path.open("rb") as f:
            f.seek(self.offset)
            for raw in f:
                m = DURATION.search(raw.decode("utf-8", "replace"))
                if not m:
                    continue
                ms = float(m.group(1))
                total += ms
                entry = per[_shape(m.group(2))]
                entry[0] += ms
                entry[1] += 1
        ranked = sorted(per.items(), key=lambda kv: -kv[1][0])[:12]
        self.top = [
            {
                "statement": k,
                "total_ms": round(v[0]),
                "calls": int(v[1]),
                "share_pct": round(100 * v[0] / total, 1) if total else 0,
            }
            for k, v in ranked
        ]
