"""`make run` (vcio dev): embedded servers, data kept across a restart, nothing left running after a stop."""

import contextlib
import os
import re
import secrets
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet

from vcio_cli.dev import Platform, Restarts, dev_secret
from vcio_shared.auth import SCOPES
from vcio_shared.embedded import free_port
from vcio_shared.settings import SERVICES, load_settings, uvicorn_proxy_args
from vcio_shared.testing import TEST_SECRET, auth, platform_environ

PACKAGE = {
    "name": "Kept",
    "currency": "EUR",
    "monthly_price": "2500.00",
    "billing_cycle": "quarterly",
    "term_months": 24,
    "activities": [
        {
            "name": "Quarterly business review",
            "category": "account_management",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=MONTHLY;INTERVAL=3",
            "role": "account_manager",
            "effort_hours": "3",
        }
    ],
}


def _environ(data_dir: Path, ports: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "NATS_URL"}
    for name in ("VCIO_SECRETS_KEY", "VCIO_WEBHOOKS_ALLOW_PRIVATE"):  # what `vcio dev` sets itself
        env.pop(name, None)
    env.update(ports)
    env.update({"VCIO_JWT_SECRET": TEST_SECRET, "VCIO_DATA_DIR": str(data_dir)})
    return env


def _children_alive(platform: Any) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(platform.data_dir) in line and "ps -eo" not in line]


def test_a_restart_keeps_every_row_and_a_stop_leaves_no_process(tmp_path: Path) -> None:
    data_dir = tmp_path / "vcio"
    ports = {f"{s.upper()}_PORT": str(free_port()) for s in (*SERVICES, "console")}
    ports.update({"VCIO_NATS_PORT": str(free_port()), "VCIO_PG_PORT": str(free_port())})
    ports["VCIO_SMTP_PORT"] = str(free_port())
    tmp_path.chmod(0o755)

    first = Platform(data_dir=data_dir, environ=_environ(data_dir, ports), quiet=True)
    started = time.monotonic()
    first.start(tenant="t")
    cold = time.monotonic() - started
    key = (data_dir / "secrets-key").read_text()
    assert (data_dir / "secrets-key").stat().st_mode & 0o777 == 0o600
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"whsec_x")) == b"whsec_x"
    assert (first.env["VCIO_SECRETS_KEY"], first.env["VCIO_WEBHOOKS_ALLOW_PRIVATE"]) == (key, "1")
    try:
        with httpx.Client(timeout=30) as http:
            created = http.post(f"{first.url('catalog')}/v1/packages", json=PACKAGE, headers=auth("keep"))
            assert created.status_code == 201, created.text
        # The services' mail goes to the local sink, which keeps it for `vcio mail`.
        assert first.env["VCIO_SMTP_URL"] == f"smtp://127.0.0.1:{ports['VCIO_SMTP_PORT']}"
        with smtplib.SMTP("127.0.0.1", int(ports["VCIO_SMTP_PORT"]), timeout=10) as smtp:
            smtp.sendmail("vcio@localhost.localdomain", ["ada@client.example"], b"Subject: kept\r\n\r\nhello\r\n")
        [kept] = list((data_dir / "mail").glob("*.eml"))
        assert b"Subject: kept" in kept.read_bytes()
    finally:
        first.stop()
    assert _children_alive(first) == []

    second = Platform(data_dir=data_dir, environ=_environ(data_dir, ports), quiet=True)
    started = time.monotonic()
    second.start(tenant="t")
    warm = time.monotonic() - started
    assert second.env["VCIO_SECRETS_KEY"] == key  # the webhook secrets stored before stay readable
    try:
        with httpx.Client(timeout=30) as http:
            again = http.get(f"{second.url('catalog')}/v1/packages/{created.json()['id']}", headers=auth("keep"))
            assert again.status_code == 200
            assert (again.json()["name"], again.json()["monthly_price"], again.json()["contract_value"]) == (
                "Kept",
                "2500.00",
                "60000.00",
            )
    finally:
        second.stop()
    assert _children_alive(second) == []
    print(f"vcio dev: first start {cold:.1f}s (initdb, migrations), restart {warm:.1f}s")
    assert warm < 30


REPO = Path(__file__).resolve().parents[1]
VCIO = str(Path(sys.executable).parent / "vcio")


def until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll a check until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if result := check():
                return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.2)


def readiness(http: httpx.Client, ports: dict[str, str]) -> dict[str, int]:
    codes = {}
    for service in SERVICES:
        try:
            codes[service] = http.get(f"http://127.0.0.1:{ports[f'{service.upper()}_PORT']}/readyz").status_code
        except httpx.HTTPError:
            codes[service] = 0
    return codes


def _smtp_answers(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
            return smtp.noop()[0] == 250
    except OSError:
        return False


def child_pid(parent: int, pattern: str) -> int:
    """The pid of the one live child of `parent` whose command line has `pattern`; 0 when there is none."""
    out = subprocess.run(["ps", "-ww", "-o", "pid=,stat=,args=", "--ppid", str(parent)], capture_output=True, text=True)
    pids = [int(line.split()[0]) for line in out.stdout.splitlines() if pattern in line and line.split()[1][0] != "Z"]
    assert len(pids) <= 1, out.stdout
    return pids[0] if pids else 0


def test_restart_delays_double_to_thirty_seconds_and_start_again_after_a_minute_up() -> None:
    state = Restarts(started_at=0.0)
    waits = []
    now = 0.0
    for _ in range(9):  # dies again right after each restart
        waits.append(state.died(now))
        now = state.due or now
        state.started_at = now
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert state.died(now + 60.0) == 0.5  # up a minute: back to the first delay
    state.started_at = now + 60.5
    assert state.died(now + 61.0) == 1.0  # and doubling again from there


def test_vcio_dev_restarts_a_killed_service_nats_server_and_postgres(tmp_path: Path) -> None:
    """The real `vcio dev`, started as `make run` does (from the repository root, with a relative VCIO_DATA_DIR
    and no secret configured). kill -9 of each kind of child: it is logged and restarted, and every service is
    ready again; `vcio token` from another directory signs with the secret the services use; SIGTERM stops
    everything."""
    tmp_path.chmod(0o755)
    data_dir = tmp_path / "data"
    ports = {f"{s.upper()}_PORT": str(free_port()) for s in (*SERVICES, "console")}
    ports.update({"VCIO_NATS_PORT": str(free_port()), "VCIO_PG_PORT": str(free_port())})
    ports["VCIO_SMTP_PORT"] = str(free_port())
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    for name in ("NATS_URL", "VCIO_JWT_SECRET", "VCIO_JWT_JWKS_URL", "VCIO_TRUSTED_PROXIES", "VCIO_SECRETS_KEY"):
        env.pop(name, None)
    env.update(ports)
    env["VCIO_DATA_DIR"] = os.path.relpath(data_dir, REPO)
    log_path = tmp_path / "vcio-dev.log"
    with open(log_path, "wb") as log:
        dev = subprocess.Popen([VCIO, "dev"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = {s: f"http://127.0.0.1:{ports[f'{s.upper()}_PORT']}" for s in SERVICES}
    try:
        with httpx.Client(timeout=10) as http:
            until(lambda: set(readiness(http, ports).values()) == {200}, 120, "vcio dev ready")
            assert (data_dir / "jwt-secret").exists()

            elsewhere = tmp_path / "elsewhere" / "deeper"
            elsewhere.mkdir(parents=True)
            made = subprocess.run(
                [VCIO, "token", "--tenant", "run-msp"], cwd=elsewhere, env=env, capture_output=True, text=True
            )
            assert made.returncode == 0, made.stderr
            h = {"Authorization": f"Bearer {made.stdout.strip()}"}
            assert http.get(f"{url['catalog']}/v1/packages", headers=h).status_code == 200
            assert not (elsewhere / env["VCIO_DATA_DIR"]).exists()
            # The commands that call a service sign their own token with the same secret.
            listed = subprocess.run(
                [VCIO, "dead-letters", "list", "--service", "billing", "--tenant", "run-msp"],
                cwd=elsewhere,
                env=env,
                capture_output=True,
                text=True,
            )
            assert listed.returncode == 0, listed.stderr
            assert "deliveries" in listed.stdout
            # The fifth service, with VCIO_WEBHOOKS_ALLOW_PRIVATE: a receiver on this machine is a valid endpoint.
            hook = http.post(
                f"{url['integrations']}/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"}, headers=h
            )
            assert hook.status_code == 201, hook.text
            hooks = subprocess.run(
                [VCIO, "webhooks", "list", "--tenant", "run-msp"],
                cwd=elsewhere,
                env=env,
                capture_output=True,
                text=True,
            )
            assert hooks.returncode == 0, hooks.stderr
            assert hook.json()["id"] in hooks.stdout and "http://127.0.0.1:9/hook" in hooks.stdout

            # The console's one-time sign-in link, printed for the dev tenant, opens a session once.
            [link] = re.findall(r"http://\S+/signin\?code=\S+", log_path.read_text())
            assert link.startswith(f"http://127.0.0.1:{ports['CONSOLE_PORT']}/signin?code=")
            first = http.get(link)
            assert (first.status_code, first.headers["location"]) == (303, "/"), first.text
            assert "vcio_console=" in first.headers["set-cookie"] and "HttpOnly" in first.headers["set-cookie"]
            assert http.get(link).status_code == 401  # used once

            # The mail sink killed outright comes back on its port and keeps what arrives; `vcio mail` lists it.
            old = child_pid(dev.pid, "vcio_shared.mail.sink")
            os.kill(old, signal.SIGKILL)
            until(lambda: child_pid(dev.pid, "vcio_shared.mail.sink") not in (0, old), 30, "a new mail sink")
            until(lambda: _smtp_answers(int(ports["VCIO_SMTP_PORT"])), 30, "the sink answering again")
            with smtplib.SMTP("127.0.0.1", int(ports["VCIO_SMTP_PORT"]), timeout=10) as smtp:
                smtp.sendmail(
                    "vcio@localhost.localdomain",
                    ["ada@client.example"],
                    b"To: ada@client.example\r\nSubject: after\r\n\r\nhi\r\n",
                )
            mails = subprocess.run(
                [VCIO, "mail", "list"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
            )
            assert mails.returncode == 0 and "after" in mails.stdout and "ada@client.example" in mails.stdout, mails

            # A service killed outright comes back on its port, with its data.
            created = http.post(f"{url['catalog']}/v1/packages", json=PACKAGE, headers=h)
            assert created.status_code == 201, created.text
            old = child_pid(dev.pid, f"--port {ports['CATALOG_PORT']}")
            os.kill(old, signal.SIGKILL)
            until(lambda: child_pid(dev.pid, f"--port {ports['CATALOG_PORT']}") not in (0, old), 10, "a new catalog")
            until(lambda: http.get(f"{url['catalog']}/readyz").status_code == 200, 60, "catalog ready again")

            # nats-server killed outright: restarted on its port and store, every connection comes back, and
            # events flow again (a package published now reaches proposals through the relay and a consumer).
            old = child_pid(dev.pid, "nats-server")
            os.kill(old, signal.SIGKILL)
            started = time.monotonic()
            until(lambda: child_pid(dev.pid, "nats-server") not in (0, old), 10, "a new nats-server")
            until(lambda: set(readiness(http, ports).values()) == {200}, 30, "every service ready after nats")
            after_nats = time.monotonic() - started
            published = http.post(f"{url['catalog']}/v1/packages/{created.json()['id']}/publish", headers=h)
            assert published.status_code == 200, published.text
            until(
                lambda: (
                    http.get(f"{url['proposals']}/v1/catalog/packages/{created.json()['id']}", headers=h).status_code
                    == 200
                ),
                30,
                "proposals learns a package published after nats-server came back",
            )

            # PostgreSQL killed outright: restarted (crash recovery), and every service reconnects.
            old = child_pid(dev.pid, "postgres -D")
            os.kill(old, signal.SIGKILL)
            until(lambda: child_pid(dev.pid, "postgres -D") not in (0, old), 20, "a new postgres")
            until(lambda: set(readiness(http, ports).values()) == {200}, 60, "every service ready after postgres")
            again = http.get(f"{url['catalog']}/v1/packages/{created.json()['id']}", headers=h)
            assert (again.status_code, again.json()["status"]) == (200, "published")
    finally:
        dev.send_signal(signal.SIGTERM)
        code = dev.wait(60)
    output = log_path.read_text()
    assert code == 0, output
    assert "catalog exited with -9" in output and "catalog restarted (restart 1)" in output, output
    assert "nats exited with -9" in output and "nats restarted (restart 1)" in output, output
    assert "postgres exited with -9" in output and "postgres restarted (restart 1)" in output, output
    assert "mail-sink exited with -9" in output and "mail-sink restarted (restart 1)" in output, output
    assert "stopped" in output
    assert "VCIO_WEBHOOKS_ALLOW_PRIVATE=1" in output  # said, since it lifts the webhooks' SSRF guard
    [printed] = re.findall(r"^eyJ[\w-]+\.[\w-]+\.[\w-]+$", output, re.MULTILINE)
    claims = jwt.decode(printed, (data_dir / "jwt-secret").read_text().strip(), algorithms=["HS256"])
    assert claims["scope"].split() == list(SCOPES)
    assert {"integrations:read", "integrations:write"} <= set(claims["scope"].split())
    left = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True).stdout.splitlines()
    assert [line for line in left if str(data_dir) in line or f"--port {ports['CATALOG_PORT']}" in line] == []
    print(f"vcio dev: every service ready {after_nats:.1f}s after nats-server was killed")


def test_vcio_token_from_another_directory_signs_with_the_secret_vcio_dev_keeps(tmp_path: Path) -> None:
    """A relative VCIO_DATA_DIR (`.vcio` by default) is the repository's, whatever the current directory."""
    data_dir = tmp_path / "data"
    secret = dev_secret(data_dir)  # what `vcio dev` writes under its data directory
    elsewhere = tmp_path / "some" / "other" / "dir"
    elsewhere.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "VCIO_JWT_SECRET"}
    env["VCIO_DATA_DIR"] = os.path.relpath(data_dir, REPO)
    made = subprocess.run([VCIO, "token", "--tenant", "t-1"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    claims = jwt.decode(made.stdout.strip(), secret, algorithms=["HS256"])
    assert (claims["tenant_id"], claims["sub"]) == ("t-1", "dev")
    assert sorted(p.name for p in data_dir.iterdir()) == ["jwt-secret"]


def test_vcio_token_without_a_secret_refuses_and_writes_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "VCIO_JWT_SECRET"}
    env["VCIO_DATA_DIR"] = str(tmp_path / "never-started")
    made = subprocess.run([VCIO, "token", "--tenant", "t-1"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert made.returncode == 1
    assert made.stdout == ""
    assert f"no development secret at {tmp_path / 'never-started' / 'jwt-secret'}" in made.stderr
    assert "make run" in made.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """`vcio dev` as `make run` starts it, with nothing about proxies or public URLs configured."""
    data_dir = tmp_path_factory.mktemp("dev")
    data_dir.chmod(0o755)
    env = platform_environ(data_dir)
    for name in ("VCIO_SECRETS_KEY", "VCIO_WEBHOOKS_ALLOW_PRIVATE"):  # what `vcio dev` sets itself
        env.pop(name, None)
    for name in ("VCIO_TRUSTED_PROXIES", "VCIO_PUBLIC_BASE_URL", "SCHEDULER_PUBLIC_BASE_URL", "FORWARDED_ALLOW_IPS"):
        env.pop(name, None)
    env["PROPOSALS_PAGE_RATE_LIMIT"] = "3"  # per link and address (15 per address over all links)
    platform = Platform(data_dir=data_dir, environ=env, quiet=True)
    platform.start(tenant="t")
    try:
        yield platform
    finally:
        platform.stop()


def test_the_calendar_subscribe_url_vcio_dev_hands_out_answers_with_the_calendar(dev: Platform) -> None:
    h = auth("calendar-msp")
    with httpx.Client(timeout=30) as http:
        staff = http.post(
            f"{dev.url('scheduler')}/v1/staff",
            json={"name": "Dana Reyes", "roles": ["vcio"], "weekly_capacity_hours": "30"},
            headers=h,
        )
        assert staff.status_code == 201, staff.text
        sub = http.post(
            f"{dev.url('scheduler')}/v1/calendars/subscriptions",
            json={"kind": "staff", "subject_id": staff.json()["id"]},
            headers=h,
        )
        assert sub.status_code == 201, sub.text
        url = sub.json()["url"]
        assert url.startswith(f"{dev.url('scheduler')}/calendars/") and url.endswith(".ics")
        feed = http.get(url)  # no bearer token: a calendar app only has the URL
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert feed.text.startswith("BEGIN:VCALENDAR\r\n") and feed.text.rstrip().endswith("END:VCALENDAR")


def _sent_proposal(http: httpx.Client, dev: Platform, h: dict[str, str]) -> tuple[str, str]:
    """A published package, a client and a sent proposal: (proposal id, accept_url)."""
    package = http.post(f"{dev.url('catalog')}/v1/packages", json=PACKAGE, headers=h)
    assert package.status_code == 201, package.text
    assert http.post(f"{dev.url('catalog')}/v1/packages/{package.json()['id']}/publish", headers=h).status_code == 200
    known = f"{dev.url('proposals')}/v1/catalog/packages/{package.json()['id']}"
    until(lambda: http.get(known, headers=h).status_code == 200, 30, "proposals learns the package")
    client = http.post(
        f"{dev.url('proposals')}/v1/clients",
        json={
            "name": "Northwind Dental",
            "email": "office@northwind.example",
            "timezone": "Europe/Berlin",
            "currency": PACKAGE["currency"],
        },
        headers=h,
    )
    assert client.status_code == 201, client.text
    proposal = http.post(
        f"{dev.url('proposals')}/v1/proposals",
        json={"client_id": client.json()["id"], "package_id": package.json()["id"], "start_date": "2027-01-01"},
        headers=h,
    )
    assert proposal.status_code == 201, proposal.text
    sent = http.post(f"{dev.url('proposals')}/v1/proposals/{proposal.json()['id']}/send", headers=h)
    assert sent.status_code == 200, sent.text
    return proposal.json()["id"], sent.json()["accept_url"]


def _accepted_from(http: httpx.Client, dev: Platform, h: dict[str, str], forwarded_for: str) -> str:
    """Accept a new proposal on its client page with that X-Forwarded-For; the address the proposal recorded."""
    proposal_id, accept_url = _sent_proposal(http, dev, h)
    assert accept_url.startswith(f"{dev.url('proposals')}/p/")
    accepted = http.post(
        f"{accept_url}/accept",
        json={"signer_name": "Dr. Ada Park", "signer_email": "ada@northwind.example"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert accepted.status_code == 200, accepted.text
    proposal = http.get(f"{dev.url('proposals')}/v1/proposals/{proposal_id}", headers=h).json()
    return str(proposal["acceptance"]["ip"])


def _page_answers(http: httpx.Client, dev: Platform, forwarded_for: list[str]) -> list[int]:
    token = secrets.token_urlsafe(32)  # well-formed, unknown: 404 unless rate-limited first
    return [
        http.get(f"{dev.url('proposals')}/p/{token}", headers={"X-Forwarded-For": ip}).status_code
        for ip in forwarded_for
    ]


def test_x_forwarded_for_counts_only_from_the_configured_proxies(dev: Platform) -> None:
    """uvicorn trusted X-Forwarded-For from any local peer: a forged one faked `acceptance.ip` and, rotated,
    walked around the client page's rate limit. Now only VCIO_TRUSTED_PROXIES may set the client address."""
    h = auth("proxy-msp")
    forged = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]
    with httpx.Client(timeout=30) as http:
        # Nothing configured: the header is ignored; the peer's address is what counts and what is recorded.
        assert _accepted_from(http, dev, h, "203.0.113.7") == "127.0.0.1"
        assert _page_answers(http, dev, forged) == [404, 404, 404, 429]

        # Behind a proxy at 127.0.0.1 (configured): the address it forwards is the client's.
        dev.env["VCIO_TRUSTED_PROXIES"] = "127.0.0.1"
        dev.services["proposals"].terminate()
        dev.services["proposals"].wait(30)
        dev.start_service("proposals")
        dev.wait_ready(["proposals"])
        assert _accepted_from(http, dev, h, "203.0.113.7") == "203.0.113.7"
        assert _page_answers(http, dev, forged) == [404, 404, 404, 404]  # four clients, one request each
        assert _page_answers(http, dev, ["198.51.100.9"] * 4) == [404, 404, 404, 429]


@pytest.mark.parametrize(
    ("value", "args"),
    [
        ("", ["--no-proxy-headers"]),
        (
            " 10.0.0.5 , 10.1.0.0/16,::1",
            ["--proxy-headers", "--forwarded-allow-ips", "10.0.0.5,10.1.0.0/16,::1"],
        ),
    ],
)
def test_trusted_proxies_become_uvicorn_options(value: str, args: list[str]) -> None:
    assert uvicorn_proxy_args(value) == args


@pytest.mark.parametrize("value", ["*", "proxy.internal", "10.0.0.300", "10.1.2.3/16"])
def test_a_trusted_proxy_must_be_an_address_or_network(value: str) -> None:
    with pytest.raises(ValueError, match="VCIO_TRUSTED_PROXIES"):
        uvicorn_proxy_args(value)
    with pytest.raises(ValueError, match="VCIO_TRUSTED_PROXIES"):
        load_settings("catalog", database_url="postgresql://x/y", jwt_secret=TEST_SECRET, trusted_proxies=value)


def test_a_service_that_keeps_dying_is_restarted_after_growing_delays(tmp_path: Path) -> None:
    """The real start_service, for a catalog that cannot start (no database URL): each death is noticed and the
    next start waits twice as long as the one before."""
    platform = Platform(data_dir=tmp_path, quiet=True)
    platform.env = {"PATH": os.environ["PATH"], "VCIO_JWT_SECRET": TEST_SECRET}
    platform.ports = {"catalog": free_port()}
    platform.start_service("catalog")
    platform.restarts["catalog"].started_at = 0.0
    restarts_at = []
    now = 0.0
    while len(restarts_at) < 4:
        if platform.services["catalog"].poll() is None:
            platform.services["catalog"].wait(60)  # dies on start, every time
        now += 0.25
        if platform.supervise(now) == ["catalog"]:
            restarts_at.append(now)
    # Found dead at 0.25, 1.0, 2.25, 4.5 (a look every 0.25 s), restarted 0.5, 1, 2, 4 seconds after each.
    assert restarts_at == [0.75, 2.0, 4.25, 8.5]
    assert platform.restarts["catalog"].count == 4
    platform.services["catalog"].wait(60)


def test_a_bad_cors_origin_stops_vcio_dev_before_it_starts_anything(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "VCIO_JWT_SECRET": TEST_SECRET, "VCIO_CORS_ORIGINS": "https://console.example/"}
    platform = Platform(data_dir=tmp_path / "data", environ=env, quiet=True)
    with pytest.raises(ValueError, match="VCIO_CORS_ORIGINS: 'https://console.example/' is not an origin"):
        platform.start(tenant="t")
    assert (platform.services, platform.nats, platform.postgres) == ({}, None, None)
