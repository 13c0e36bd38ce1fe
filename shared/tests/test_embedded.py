"""The embedded servers' system user, created once even when test workers start together."""

from __future__ import annotations

import multiprocessing
import os
import pwd
import subprocess
import uuid
from pathlib import Path

import asyncpg
import pytest

from vcio_shared.embedded import Postgres, _as_pg_user

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="postgres runs as its own user only when we are root")


def _create(name: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    barrier.wait()
    try:
        out.put(_as_pg_user(name)["user"])
    except Exception as exc:  # reported to the test, not lost in the child
        out.put(repr(exc))


def test_workers_starting_together_create_the_user_once_and_agree_on_its_uid() -> None:
    name = f"vcio_t{uuid.uuid4().hex[:10]}"
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_create, args=(name, barrier, out)) for _ in range(6)]
    try:
        for p in procs:
            p.start()
        results = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        uid = pwd.getpwnam(name).pw_uid
        assert results == [uid] * 6
        users = Path("/etc/passwd").read_text().splitlines()
        assert [line.split(":")[0] for line in users].count(name) == 1
    finally:
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["groupdel", name], capture_output=True)


async def test_a_kept_server_answers_a_commit_only_once_it_is_on_disk(tmp_path: Path) -> None:
    """`vcio dev` keeps its data: a commit it answered survives a kill -9 of PostgreSQL. Throwaway servers skip
    the wait."""
    os.chmod(tmp_path, 0o755)  # the postgres user reaches its data directory
    settings = {}
    for durable in (True, False):
        server = Postgres(tmp_path / f"data-{durable}", durable=durable).start()
        try:
            conn = await asyncpg.connect(server.url)
            settings[durable] = await conn.fetchval("SHOW synchronous_commit")
            await conn.close()
        finally:
            server.stop()
    assert settings == {True: "on", False: "off"}
