"""The relay child of a real service process (uvicorn, VCIO_RELAY_PROCESS=1, as `vcio dev` runs it): its counters
reach the service's /metrics, and it imports only what relaying needs."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import nats

from shared.tests import noteservice
from vcio_shared.metrics import add_totals, totals
from vcio_shared.runtime import create_app
from vcio_shared.settings import load_settings
from vcio_shared.testing import TEST_SECRET, auth, eventually

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "vcio.catalog.note.created"

# Written into a directory on the service's PYTHONPATH: every Python process started from it (the service and
# its relay child) writes the modules it holds when it exits.
SITECUSTOMIZE = """
import atexit, os, sys
def _dump():
    path = os.path.join(os.environ["VCIO_TEST_MODULES_DIR"], f"{os.getpid()}.modules")
    loaded = sorted(name for name, module in sys.modules.items() if module is not None)
    with open(path, "w") as f:
        f.write(" ".join(sys.argv) + "\\n" + "\\n".join(loaded))
atexit.register(_dump)
"""


def build() -> object:
    """The notes test service, for `uvicorn --factory`."""
    return create_app(noteservice.SPEC, load_settings("catalog"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def relay_children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid and b"vcio_shared.relay" in cmdline:
                out.append(int(entry.name))
    return out


async def stream_count(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().stream_info("CATALOG", subjects_filter=SUBJECT)
        return int((info.state.subjects or {}).get(SUBJECT, 0))
    finally:
        await nc.close()


def metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def start_service(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", f"{__name__}:build", "--port", str(port), "--no-access-log"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@asynccontextmanager
async def service(
    notes_db: str, nats_url: str, modules_dir: Path
) -> AsyncIterator[tuple[subprocess.Popen[bytes], str]]:
    (modules_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    port = free_port()
    env = {
        **os.environ,
        "CATALOG_DATABASE_URL": notes_db,
        "NATS_URL": nats_url,
        "VCIO_JWT_SECRET": TEST_SECRET,
        "VCIO_RELAY_PROCESS": "1",
        "VCIO_TEST_MODULES_DIR": str(modules_dir),
        "PYTHONPATH": os.pathsep.join([str(modules_dir), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = start_service(port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:

            async def ready() -> bool:
                try:
                    return (await http.get("/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, timeout=60, interval=0.2)
        yield proc, base
    finally:
        proc.send_signal(signal.SIGTERM)  # a clean stop: the relay child sees its pipe close and exits too
        proc.wait(30)


async def test_the_child_relays_counters_reach_the_services_metrics(
    notes_db: str, nats_url: str, tmp_path: Path
) -> None:
    async with service(notes_db, nats_url, tmp_path) as (proc, base), httpx.AsyncClient(base_url=base) as http:

        async def published() -> float | None:
            return metric((await http.get("/metrics")).text, "vcio_events_published_total")

        assert await published() == 0.0
        assert (await http.post("/v1/notes", json={"text": "one"}, headers=auth())).status_code == 201
        await eventually(lambda: _equals(stream_count(nats_url), 1), timeout=30)
        await eventually(lambda: _equals(published(), 1.0), timeout=10)
        await asyncio.sleep(1.5)  # reports carry totals: a repeated report does not count again
        text = (await http.get("/metrics")).text
        assert metric(text, "vcio_events_published_total") == 1.0
        assert metric(text, "vcio_jetstream_refusals_total") == 0.0

        # A new child starts from zero; the service's counter goes on from what the killed one reported.
        (child,) = relay_children(proc.pid)
        os.kill(child, signal.SIGKILL)
        await eventually(lambda: relay_children(proc.pid) not in ([], [child]), timeout=15)
        assert (await http.post("/v1/notes", json={"text": "two"}, headers=auth())).status_code == 201
        await eventually(lambda: _equals(stream_count(nats_url), 2), timeout=30)
        await eventually(lambda: _equals(published(), 2.0), timeout=10)
        await asyncio.sleep(1.5)
        assert await published() == 2.0


async def test_the_relay_child_imports_neither_the_app_nor_weasyprint(
    notes_db: str, nats_url: str, tmp_path: Path
) -> None:
    async with service(notes_db, nats_url, tmp_path) as (proc, base), httpx.AsyncClient(base_url=base) as http:
        (child,) = relay_children(proc.pid)
        assert (await http.post("/v1/notes", json={"text": "one"}, headers=auth())).status_code == 201
        await eventually(lambda: _equals(stream_count(nats_url), 1), timeout=30)  # the child has done its work
    dump = tmp_path / f"{child}.modules"
    assert dump.exists(), "the relay child did not exit cleanly with its service"
    argv, *modules = dump.read_text().splitlines()
    assert argv.startswith("-c catalog ")  # `python -c "$CHILD" <service> <wake fd> <report fd>`
    assert "vcio_shared.relay" in modules and "nats" in modules and "asyncpg" in modules  # it did relay
    heavy = {"fastapi", "starlette", "weasyprint", "sqlalchemy", "sqlmodel", "pydantic", "rich", "pygments"}
    heavy |= {"shared.tests.noteservice"}
    assert sorted(heavy & set(modules)) == []
    assert [m for m in modules if m.startswith(("vcio_shared.runtime", "vcio_shared.db", "vcio_shared.bus"))] == []


async def _equals(value: "asyncio.Future[object] | Callable[[], object] | object", expected: object) -> bool:
    return await value == expected  # type: ignore[misc]


def test_another_processs_totals_are_added_once_counters_and_histograms() -> None:
    """What `RelayProcess` does with each report: the other process's totals become this process's exactly, and
    a repeated report adds nothing (histogram buckets come cumulative and are kept per bucket)."""
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from vcio_shared.metrics import EVENTS_CONSUMED, HTTP_LATENCY, totals;"
            "[HTTP_LATENCY.labels('GET', '/child-route').observe(s) for s in (0.004, 0.007, 0.007, 3.0)];"
            "EVENTS_CONSUMED.labels('child--consumer', 'handled').inc(2);"
            "print(json.dumps(totals()))",
        ],
        capture_output=True,
        check=True,
    )
    report = json.loads(child.stdout)
    assert report[key("vcio_http_request_duration_seconds_bucket", le="0.01")] == 3.0
    before = totals()
    seen: dict[str, float] = {}
    add_totals(report, seen)
    add_totals(report, seen)
    after = totals()
    assert {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)} == report
    assert round(after[key("vcio_http_request_duration_seconds_sum")], 9) == 3.018
    assert after[key("vcio_http_request_duration_seconds_bucket", le="0.005")] == 1.0
    assert after[key("vcio_http_request_duration_seconds_bucket", le="2.5")] == 3.0
    assert after[key("vcio_http_request_duration_seconds_bucket", le="+Inf")] == 4.0
    assert after[json.dumps(["vcio_events_consumed_total", {"consumer": "child--consumer", "outcome": "handled"}])] == 2


def key(sample: str, **labels: str) -> str:
    return json.dumps([sample, {"method": "GET", "route": "/child-route", **labels}], sort_keys=True)
