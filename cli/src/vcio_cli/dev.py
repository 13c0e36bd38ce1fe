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
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console

from vcio_shared.auth import SCOPES, issue_token
from vcio_shared.embedded import NatsServer, Postgres, die_with_parent
from vcio_shared.migrations import upgrade
from vcio_shared.settings import DEFAULT_PORTS, SERVICES

console = Console()


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


def dev_secret(data_dir: Path) -> str:
    """VCIO_JWT_SECRET, or a random secret kept under the data directory so tokens survive restarts."""
    if os.environ.get("VCIO_JWT_SECRET"):
        return os.environ["VCIO_JWT_SECRET"]
    path = data_dir / "jwt-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass
class Platform:
    """Everything `vcio dev` started, so that it can stop exactly that."""

    data_dir: Path
    host: str = "127.0.0.1"
    postgres: Postgres | None = None
    nats: NatsServer | None = None
    services: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    environ: dict[str, str] | None = None  # defaults to os.environ; tests pass their own
    quiet: bool = False

    def start(self, tenant: str, wait_timeout: float = 120) -> None:
        started = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(self.environ if self.environ is not None else os.environ)
        secret = env.get("VCIO_JWT_SECRET") or dev_secret(self.data_dir)
        if not env.get("VCIO_JWT_JWKS_URL"):
            env["VCIO_JWT_SECRET"] = secret
        env.setdefault("VCIO_DATA_DIR", str(self.data_dir))
        env.setdefault("VCIO_RELAY_PROCESS", "1")  # each service publishes its events from a child process

        if not env.get("NATS_URL"):
            self.nats = NatsServer(
                self.data_dir / "nats", port=_pick_port(int(env.get("VCIO_NATS_PORT", 4222)))
            ).start()
            env["NATS_URL"] = self.nats.url
            console.print(f"[green]nats-server[/] {self.nats.url} (JetStream in {self.nats.store_dir})")
        missing = [s for s in SERVICES if not env.get(f"{s.upper()}_DATABASE_URL")]
        if missing:
            self.postgres = Postgres(
                self.data_dir / "postgres", port=_pick_port(int(env.get("VCIO_PG_PORT", 5432)))
            ).start()
            console.print(f"[green]postgres[/] {self.postgres.url} (data in {self.postgres.data_dir})")
            for service in missing:
                env[f"{service.upper()}_DATABASE_URL"] = self.postgres.create_database(service)
        for service in SERVICES:
            upgrade(service, env[f"{service.upper()}_DATABASE_URL"])
        console.print("[green]migrations[/] applied")

        ports = {s: int(env.get(f"{s.upper()}_PORT", DEFAULT_PORTS[s])) for s in SERVICES}
        env.setdefault("VCIO_PUBLIC_BASE_URL", f"http://{self.host}:{ports['proposals']}")
        self.env = env
        self.ports = ports
        for service in SERVICES:
            self.start_service(service)
        self._wait_ready(ports, wait_timeout)
        elapsed = time.monotonic() - started
        console.print(f"\n[bold]vcio is ready[/] in {elapsed:.1f}s (logs in {self.data_dir}/<service>.log)")
        for service in SERVICES:
            console.print(f"  {service:<10} http://{self.host}:{ports[service]}   docs: /docs")
        if env.get("VCIO_JWT_SECRET"):
            token = issue_token(env["VCIO_JWT_SECRET"], tenant_id=tenant, scopes=" ".join(SCOPES), sub="dev")
            console.print(f"\nDevelopment token (tenant [bold]{tenant}[/], all scopes, 12 h):")
            print(token, flush=True)
        console.print("\nCtrl-C stops everything.")

    def url(self, service: str) -> str:
        return f"http://{self.host}:{self.ports[service]}"

    def start_service(self, service: str) -> subprocess.Popen[bytes]:
        """Start (or restart) one service process under uvicorn (uvloop + httptools)."""
        log = open(self.data_dir / f"{service}.log", "ab")  # noqa: SIM115 - the child keeps it
        self.services[service] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                f"{service}.main:build_app",
                "--host",
                self.host,
                "--port",
                str(self.ports[service]),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "10",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        return self.services[service]

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
        for proc in self.services.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.services.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
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
            for service, proc in platform.services.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{service} exited with {proc.returncode}; see {data_dir}/{service}.log")
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("\nstopping...")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        platform.stop()
        console.print("stopped")
