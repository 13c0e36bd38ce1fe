"""`vcio dev`: the whole platform on one machine, on embedded servers unless real ones are configured."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console

from vcio_console.settings import DEFAULT_PORT as CONSOLE_PORT
from vcio_console.signin import dev_link
from vcio_shared.auth import SCOPES, issue_token
from vcio_shared.embedded import NatsServer, Postgres, die_with_parent
from vcio_shared.mail.message import DEFAULT_MAIL_FROM
from vcio_shared.settings import DEFAULT_PORTS, SERVICES

console = Console()
_MIGRATE = (
    "import os; from vcio_shared.migrations import upgrade; from vcio_shared.settings import SERVICES; "
    "[upgrade(s, os.environ[s.upper() + '_DATABASE_URL']) for s in SERVICES]"
)


def uvicorn_command(factory: str, host: str, port: int) -> list[str]:
    """`python -m uvicorn` for one app factory, as every service runs here: uvloop and httptools, no access log,
    a graceful shutdown bounded to 10 s. The caller adds which proxies' forwarded headers it trusts."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        host,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "10",
    ]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pick_port(preferred: int) -> int:
    if _port_free(preferred):
        return preferred
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NoDevSecret(Exception):
    """`vcio token` found no secret: `vcio dev` has not run with this data directory."""


def _kept(path: Path, make: Callable[[], str]) -> str:
    """The value kept in `path`, made (owner-only) the first time: it must survive restarts."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def dev_secret(data_dir: Path, create: bool = True) -> str:
    """VCIO_JWT_SECRET, or a random secret kept under the data directory so tokens survive restarts.

    Only `vcio dev` creates it (`create`): a token signed with a secret no service uses would only be refused."""
    if os.environ.get("VCIO_JWT_SECRET"):
        return os.environ["VCIO_JWT_SECRET"]
    path = data_dir / "jwt-secret"
    if not path.exists() and not create:
        raise NoDevSecret(
            f"no development secret at {path}: start the platform first (`make run`), or set VCIO_DATA_DIR "
            "to the data directory it uses, or VCIO_JWT_SECRET to the services' secret"
        )
    return _kept(path, lambda: secrets.token_urlsafe(32))


def secrets_key(data_dir: Path) -> str:
    """VCIO_SECRETS_KEY for development: a Fernet key kept under the data directory, like the JWT secret.

    It encrypts the webhook secrets at rest: a new key would leave every stored secret unreadable."""
    from cryptography.fernet import Fernet

    return _kept(data_dir / "secrets-key", lambda: Fernet.generate_key().decode())


RESTART_FIRST_DELAY = 0.5  # seconds before the first restart of a child that died
RESTART_MAX_DELAY = 30.0  # the delay doubles for each death in a row, up to this
RESTART_RESET_AFTER = 60.0  # a child up this long that then dies is restarted after the first delay again


@dataclass
class Restarts:
    """Backoff for one supervised child: when it was started, and when (and after what) it is next restarted."""

    started_at: float
    delay: float = RESTART_FIRST_DELAY
    due: float | None = None  # set while the child is dead and waiting for its restart
    count: int = 0

    def died(self, now: float) -> float:
        """The child was found dead at `now`: schedule its restart; returns the delay."""
        if now - self.started_at >= RESTART_RESET_AFTER:
            self.delay = RESTART_FIRST_DELAY
        wait = self.delay
        self.due = now + wait
        self.delay = min(self.delay * 2, RESTART_MAX_DELAY)
        return wait


@dataclass
class Platform:
    """Everything `vcio dev` started, so that it can stop exactly that."""

    data_dir: Path
    host: str = "127.0.0.1"
    postgres: Postgres | None = None
    nats: NatsServer | None = None
    services: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    mail_sink: subprocess.Popen[bytes] | None = None  # the local SMTP sink, unless VCIO_SMTP_URL names a server
    sink_port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    environ: dict[str, str] | None = None  # defaults to os.environ; tests pass their own
    quiet: bool = False
    restarts: dict[str, Restarts] = field(default_factory=dict)  # per child: "postgres", "nats", each service

    def start(self, tenant: str, wait_timeout: float = 120) -> None:
        from vcio_shared.settings import parse_cors_origins, uvicorn_proxy_args

        started = time.monotonic()
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(self.environ if self.environ is not None else os.environ)
        uvicorn_proxy_args(env.get("VCIO_TRUSTED_PROXIES", ""))  # a bad value stops here, before any child
        parse_cors_origins(env.get("VCIO_CORS_ORIGINS", ""))  # and so does a bad origin
        secret = env.get("VCIO_JWT_SECRET") or dev_secret(self.data_dir)
        if not env.get("VCIO_JWT_JWKS_URL"):
            env["VCIO_JWT_SECRET"] = secret
        env["VCIO_DATA_DIR"] = str(self.data_dir)
        env.setdefault("VCIO_RELAY_PROCESS", "1")  # each service publishes its events from a child process
        env["VCIO_SECRETS_KEY"] = env.get("VCIO_SECRETS_KEY") or secrets_key(self.data_dir)
        env.setdefault("VCIO_WEBHOOKS_ALLOW_PRIVATE", "1")  # webhooks to a receiver on this machine

        if not env.get("NATS_URL"):
            self.nats = NatsServer(
                self.data_dir / "nats", port=_pick_port(int(env.get("VCIO_NATS_PORT", 4222)))
            ).start()
            env["NATS_URL"] = self.nats.url
            self.restarts["nats"] = Restarts(time.monotonic())
            console.print(f"[green]nats-server[/] {self.nats.url} (JetStream in {self.nats.store_dir})")
        missing = [s for s in SERVICES if not env.get(f"{s.upper()}_DATABASE_URL")]
        if missing:
            self.postgres = Postgres(
                self.data_dir / "postgres", port=_pick_port(int(env.get("VCIO_PG_PORT", 5432))), durable=True
            ).start()
            console.print(f"[green]postgres[/] {self.postgres.url} (data in {self.postgres.data_dir})")
            self.restarts["postgres"] = Restarts(time.monotonic())
            for service in missing:
                env[f"{service.upper()}_DATABASE_URL"] = self.postgres.create_database(service)
        # In a child process: Alembic, SQLAlchemy and the services' models would otherwise stay in this
        # supervisor's memory for as long as the platform runs (a quarter of its size at rest).
        subprocess.run([sys.executable, "-c", _MIGRATE], env=env, check=True)
        console.print("[green]migrations[/] applied")

        if not env.get("VCIO_SMTP_URL"):
            self._start_mail_sink(_pick_port(int(env.get("VCIO_SMTP_PORT", 1025))))
            env["VCIO_SMTP_URL"] = f"smtp://127.0.0.1:{self.sink_port}"
            console.print(f"[green]mail sink[/] {env['VCIO_SMTP_URL']} (every message kept in {self.data_dir}/mail)")
        env.setdefault("VCIO_MAIL_FROM", DEFAULT_MAIL_FROM)

        ports = {s: int(env.get(f"{s.upper()}_PORT", DEFAULT_PORTS[s])) for s in SERVICES}
        # Links point at the service that answers them (proposal pages at proposals, calendar feeds at the
        # scheduler): each service's own address, unless VCIO_PUBLIC_BASE_URL names a reverse proxy.
        self.env = env
        self.ports = ports
        for service in SERVICES:
            self.start_service(service)
        # The console (port 8000): plain http on this machine, so its session cookie cannot be Secure.
        env.setdefault("CONSOLE_DEVELOPMENT", "1")
        self.ports["console"] = _pick_port(int(env.get("CONSOLE_PORT", CONSOLE_PORT)))
        self.start_service("console")
        self._wait_ready({**ports, "console": self.ports["console"]}, wait_timeout)
        self._banner(tenant, time.monotonic() - started)

    def _banner(self, tenant: str, elapsed: float) -> None:
        """What is running where, what development settings are on, and a token to call it with."""
        console.print(f"\n[bold]vcio is ready[/] in {elapsed:.1f}s (logs in {self.data_dir}/<service>.log)")
        for service in SERVICES:
            console.print(f"  {service:<10} http://{self.host}:{self.ports[service]}   docs: /docs")
        if self.env.get("VCIO_JWT_SECRET"):
            link = dev_link(self.env["VCIO_JWT_SECRET"], tenant, self.url("console"))
            console.print(f"\nConsole (tenant [bold]{tenant}[/]; the link works once, for 15 minutes):")
            print(link, flush=True)
        console.print(f"Data in {self.data_dir}; a child that dies is restarted.", soft_wrap=True)
        if self.env["VCIO_WEBHOOKS_ALLOW_PRIVATE"] == "1":
            console.print(
                "[yellow]VCIO_WEBHOOKS_ALLOW_PRIVATE=1[/]: webhook endpoints may be http:// and private or local "
                "addresses (development only; production refuses them).",
                soft_wrap=True,
            )
        if self.mail_sink is not None:
            console.print(
                "Mail goes to the local sink, not to anyone: `vcio mail list` shows it (set VCIO_SMTP_URL for a "
                "real server).",
                soft_wrap=True,
            )
        if self.env.get("VCIO_JWT_SECRET"):
            token = issue_token(self.env["VCIO_JWT_SECRET"], tenant_id=tenant, scopes=" ".join(SCOPES), sub="dev")
            console.print(f"\nDevelopment token (tenant [bold]{tenant}[/], all scopes, 12 h):")
            print(token, flush=True)
        console.print("\nCtrl-C stops everything.")

    def _start_mail_sink(self, port: int) -> None:
        from vcio_shared.mail.sink import start_sink

        self.sink_port = port
        self.mail_sink = start_sink(self.data_dir, port)
        self.restarts.setdefault("mail-sink", Restarts(time.monotonic()))

    def url(self, service: str) -> str:
        return f"http://{self.host}:{self.ports[service]}"

    def start_service(self, service: str) -> subprocess.Popen[bytes]:
        """Start (or restart) one service process under uvicorn (uvloop + httptools), trusting forwarded headers
        only from VCIO_TRUSTED_PROXIES."""
        from vcio_shared.settings import uvicorn_proxy_args

        log = open(self.data_dir / f"{service}.log", "ab")  # noqa: SIM115 - the child keeps it
        factory = "vcio_console.main:build_app" if service == "console" else f"{service}.main:build_app"
        command = uvicorn_command(factory, self.host, self.ports[service])
        self.services[service] = subprocess.Popen(
            [*command, *uvicorn_proxy_args(self.env.get("VCIO_TRUSTED_PROXIES", ""))],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.restarts.setdefault(service, Restarts(time.monotonic()))  # a restart keeps its backoff
        return self.services[service]

    def _exit_code(self, child: str) -> int | None:
        """None while the child runs (or was never started by this platform), else its exit status."""
        if child == "postgres":
            proc = self.postgres.proc if self.postgres is not None else None
        elif child == "nats":
            proc = self.nats.proc if self.nats is not None else None
        elif child == "mail-sink":
            proc = self.mail_sink
        else:
            proc = self.services.get(child)
        return None if proc is None else proc.poll()

    def _restart(self, child: str) -> None:
        if child == "postgres" and self.postgres is not None:
            self.postgres.start()  # same data and port; recovers from the crash, waits until it answers
        elif child == "nats" and self.nats is not None:
            self.nats.start()  # same store and port: the services' connections reconnect by themselves
        elif child == "mail-sink":
            self._start_mail_sink(self.sink_port)  # same port: the senders' next round finds it again
        else:
            self.start_service(child)

    def supervise(self, now: float | None = None) -> list[str]:
        """One look at every child: a dead one is logged and restarted after its backoff delay (0.5 s, doubling
        to 30 s for deaths in a row, back to 0.5 s once it had stayed up a minute). Servers come back before
        services. Returns the children restarted by this call."""
        now = time.monotonic() if now is None else now
        restarted = []
        for child in ("postgres", "nats", "mail-sink", *SERVICES, "console"):
            state = self.restarts.get(child)
            code = self._exit_code(child)
            if state is None:
                continue
            if code is None:
                if state.due is not None:  # a start that timed out came up after all
                    state.started_at, state.due = now, None
                continue
            if state.due is None:
                wait = state.died(now)
                log = f"; see {self.data_dir}/{child}.log" if child in (*SERVICES, "console") else ""
                console.print(
                    f"[red]{child}[/] exited with {code} after {now - state.started_at:.1f}s; "
                    f"restarting in {wait:.1f}s{log}",
                    highlight=False,
                    soft_wrap=True,
                )
                continue
            if now < state.due:
                continue
            state.count += 1
            try:
                self._restart(child)
            except Exception as exc:  # e.g. the port still held, or postgres' old shared memory not yet released
                wait = state.died(now)
                console.print(
                    f"[red]{child}[/] did not start again ({exc}); retrying in {wait:.1f}s",
                    highlight=False,
                    soft_wrap=True,
                )
                continue
            state.started_at, state.due = now, None
            console.print(f"[yellow]{child}[/] restarted (restart {state.count})", highlight=False, soft_wrap=True)
            restarted.append(child)
        return restarted

    def wait_ready(self, services: list[str] | None = None, timeout: float = 60) -> None:
        self._wait_ready({s: self.ports[s] for s in services or list(SERVICES)}, timeout)

    def _wait_ready(self, ports: dict[str, int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = set(ports)
        with httpx.Client(timeout=2) as http:
            while pending:
                for service in sorted(pending):
                    proc = self.services[service]
                    if proc.poll() is not None:
                        raise RuntimeError(
                            f"{service} exited with {proc.returncode}; see {self.data_dir}/{service}.log"
                        )
                    with contextlib.suppress(httpx.HTTPError):
                        if http.get(f"http://{self.host}:{ports[service]}/readyz").status_code == 200:
                            pending.discard(service)
                            if not self.quiet:
                                console.print(f"[green]{service}[/] ready")
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(f"not ready after {timeout}s: {', '.join(sorted(pending))}")
                time.sleep(0.1)

    def stop(self) -> None:
        from vcio_shared.mail.sink import stop_sink

        for proc in self.services.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.services.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.mail_sink is not None:
            stop_sink(self.mail_sink)
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()


def run(data_dir: Path, tenant: str) -> None:
    platform = Platform(data_dir=data_dir)
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        platform.start(tenant)
        while True:
            platform.supervise()
            time.sleep(0.2)
    except KeyboardInterrupt:
        console.print("\nstopping...")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        platform.stop()
        console.print("stopped")
