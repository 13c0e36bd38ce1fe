"""deploy/: the compose file and the Kubernetes manifests set only what the services read, start each service's
own app, and migrate its database first; replicas migrating at once take turns. (No Docker engine or cluster
here: the files are checked against the code, and their migration commands run against a real PostgreSQL.)"""

import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic import command

from vcio_console.settings import load_console_settings
from vcio_shared.migrations import alembic_config
from vcio_shared.settings import SERVICES, load_settings, parse_trusted_proxies
from vcio_shared.testing import TEST_SECRET, PgServer

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SECRETS_KEY = "uY0vI4Q0oB6e3b4hJX1m0cQq8a0Yk7a9nq3FzZrj2lE="  # a Fernet key: 32 bytes, url-safe base64


class Recorder(dict):  # type: ignore[type-arg]
    """An environment that remembers which names were asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)


def names_read(service: str, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    env = Recorder({f"{service.upper()}_DATABASE_URL": "postgresql://x/y", "VCIO_JWT_SECRET": TEST_SECRET})
    monkeypatch.setattr(os, "environ", env)
    load_settings(service)
    monkeypatch.undo()
    # SERVICE picks the app in the image's command (deploy/Dockerfile).
    return env.asked | {"SERVICE"}


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def k8s_deployments() -> dict[str, dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "services.yaml").read_text()) if d]
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}


def env_names(env: Any) -> set[str]:
    if isinstance(env, dict):
        return set(env)
    return {e["name"] for e in env}


@pytest.mark.parametrize("service", SERVICES)
def test_compose_sets_only_what_the_service_reads(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = compose()["services"][service]
    names = env_names(spec["environment"])
    assert names <= names_read(service, monkeypatch)
    assert spec["environment"]["SERVICE"] == service
    assert f"{service.upper()}_DATABASE_URL" in names
    assert spec["environment"][f"{service.upper()}_DATABASE_URL"].endswith(f"/{service}")
    assert spec["environment"]["NATS_URL"].startswith(f"nats://{service}:")  # its own NATS user (nats.conf)
    assert "migrate" in spec["depends_on"]


@pytest.mark.parametrize("service", SERVICES)
def test_kubernetes_sets_only_what_the_service_reads_and_migrates_first(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = k8s_deployments()[f"vcio-{service}"]["spec"]["template"]["spec"]
    [app] = pod["containers"]
    assert env_names(app["env"]) <= names_read(service, monkeypatch)
    assert {"name": "SERVICE", "value": service} in app["env"]
    [migrate] = pod["initContainers"]
    assert migrate["image"] == app["image"]
    assert env_names(migrate["env"]) == {f"{service.upper()}_DATABASE_URL"}
    assert migrate["command"][:2] == ["python", "-c"]


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_command_starts_each_services_app(service: str) -> None:
    cmd = next(line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    assert "uvicorn --factory ${SERVICE}.main:build_app" in cmd
    assert callable(importlib.import_module(f"{service}.main").build_app)


@pytest.fixture
def empty_databases(pg_server: PgServer) -> Iterator[dict[str, str]]:
    urls = {service: pg_server.empty_database(f"deploy_{service}") for service in SERVICES}
    yield urls
    for url in urls.values():
        pg_server.drop(url)


def run_python_c(cmd: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a container's `python -c` command in this interpreter, with that environment."""
    assert cmd[:2] == ["python", "-c"], shlex.join(cmd)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    exec(compile(cmd[2], "<deploy command>", "exec"), {})  # noqa: S102 - our own deploy file


def test_the_compose_migrate_command_brings_every_database_to_head(
    empty_databases: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {f"{s.upper()}_DATABASE_URL": url for s, url in empty_databases.items()}
    run_python_c(compose()["services"]["migrate"]["command"], env, monkeypatch)
    for service, url in empty_databases.items():
        command.check(alembic_config(service, url))


def test_two_pods_migrating_one_database_at_once_both_succeed(empty_databases: dict[str, str]) -> None:
    """Two replicas of billing start together, and each init container migrates. Without the advisory lock in
    `run_env` one of them failed on the tables the other was creating."""
    pod = k8s_deployments()["vcio-billing"]["spec"]["template"]["spec"]
    cmd = pod["initContainers"][0]["command"]
    env = {**os.environ, "BILLING_DATABASE_URL": empty_databases["billing"]}
    # Both run the container's command at the same instant, imports done (they take a second or two).
    start = time.time() + 4
    together = f"import time, vcio_shared.migrations; time.sleep(max(0, {start} - time.time())); exec({cmd[2]!r})"
    pods = [
        subprocess.Popen([sys.executable, "-c", together], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in pods]
    assert [p.returncode for p in pods] == [0, 0], outputs
    command.check(alembic_config("billing", empty_databases["billing"]))


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` against `env`."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2) or ""
        return env.get(name) or ("" if match.group(0).startswith(f"${{{name}:?") else default)

    return re.sub(r"\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}", one, value)


def compose_settings(service: str, env: dict[str, str]) -> Any:
    """The settings a compose service starts with, given the host's environment."""
    values = {k: interpolate(str(v), env) for k, v in compose()["services"][service]["environment"].items()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "environ", values)
        return load_settings(service)


@pytest.mark.parametrize(("service", "port"), [("proposals", "8002"), ("scheduler", "8004")])
def test_compose_links_point_at_the_service_that_answers_them(service: str, port: str) -> None:
    """Calendar feeds pointed at proposals' port (404): each service's links use its own published port, or
    the reverse proxy's address when VCIO_PUBLIC_BASE_URL is set."""
    assert f"{port}:8000" in compose()["services"][service]["ports"]
    host = {"VCIO_JWT_SECRET": TEST_SECRET}
    assert compose_settings(service, host).public_base_url == f"http://localhost:{port}"
    behind = compose_settings(service, {**host, "VCIO_PUBLIC_BASE_URL": "https://vcio.example.com"})
    assert behind.public_base_url == "https://vcio.example.com"


@pytest.mark.parametrize("service", SERVICES)
def test_compose_trusts_forwarded_headers_only_from_configured_proxies(service: str) -> None:
    host = {"VCIO_JWT_SECRET": TEST_SECRET}
    assert compose_settings(service, host).trusted_proxies == ()
    proxied = compose_settings(service, {**host, "VCIO_TRUSTED_PROXIES": "172.18.0.2"})
    assert proxied.trusted_proxies == ("172.18.0.2",)


def test_kubernetes_ingress_routes_client_links_and_only_those_services_trust_it() -> None:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "services.yaml").read_text()) if d]
    [ingress] = [d for d in docs if d["kind"] == "Ingress"]
    [rule] = ingress["spec"]["rules"]
    routes = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    assert routes == {"/p/": "vcio-proposals", "/calendars/": "vcio-scheduler"}
    for service in SERVICES:
        [app] = k8s_deployments()[f"vcio-{service}"]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in app["env"]}
        if f"vcio-{service}" in routes.values():
            assert env["VCIO_PUBLIC_BASE_URL"] == f"https://{rule['host']}"
            assert parse_trusted_proxies(env["VCIO_TRUSTED_PROXIES"]) == ("10.244.0.0/16",)
        else:
            assert "VCIO_TRUSTED_PROXIES" not in env


@pytest.mark.parametrize(
    ("proxies", "args"),
    [
        (None, ["--no-proxy-headers"]),
        ("", ["--no-proxy-headers"]),
        ("10.244.0.0/16", ["--forwarded-allow-ips", "10.244.0.0/16"]),
    ],
)
def test_the_image_command_passes_the_trusted_proxies_to_uvicorn(
    proxies: str | None, args: list[str], tmp_path: Path
) -> None:
    """The image's command run by sh, with a uvicorn on PATH that prints the arguments it was given."""
    cmd = next(line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    argv = json.loads(cmd.removeprefix("CMD"))
    fake = tmp_path / "uvicorn"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "SERVICE": "scheduler"}
    if proxies is not None:
        env["VCIO_TRUSTED_PROXIES"] = proxies
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    given = done.stdout.splitlines()
    assert given[:2] == ["--factory", "scheduler.main:build_app"]
    assert given[-len(args) :] == args
    assert ("--no-proxy-headers" in given) == (not proxies)


def test_every_service_has_its_database_its_nats_user_and_its_password() -> None:
    created = re.findall(r"^CREATE DATABASE (\w+);$", (DEPLOY / "initdb.sql").read_text(), re.MULTILINE)
    assert created == list(SERVICES)
    users = re.findall(r"^\s*user: (\w+)$", (DEPLOY / "nats.conf").read_text(), re.MULTILINE)
    assert users == list(SERVICES)
    nats_env = compose()["services"]["nats"]["environment"]
    assert {f"VCIO_NATS_{s.upper()}_PASSWORD" for s in SERVICES} <= set(nats_env)
    assert set(compose()["services"]["migrate"]["environment"]) == {f"{s.upper()}_DATABASE_URL" for s in SERVICES}
    assert set(k8s_deployments()) == {f"vcio-{s}" for s in SERVICES} | {"vcio-console"}


@pytest.mark.parametrize("service", SERVICES)
def test_compose_passes_the_cors_origins_to_every_service(service: str) -> None:
    host = {"VCIO_JWT_SECRET": TEST_SECRET, "VCIO_SECRETS_KEY": SECRETS_KEY}
    assert compose_settings(service, host).cors_origins == ()
    allowed = compose_settings(service, {**host, "VCIO_CORS_ORIGINS": "https://console.msp.example"})
    assert allowed.cors_origins == ("https://console.msp.example",)


def test_integrations_needs_its_secrets_key_and_deploy_never_allows_private_webhooks() -> None:
    """Without VCIO_SECRETS_KEY compose refuses to start rather than store secrets it could not read back;
    VCIO_WEBHOOKS_ALLOW_PRIVATE (http and private addresses, for `make run`) is set nowhere in deploy/."""
    spec = compose()["services"]["integrations"]
    assert spec["environment"]["VCIO_SECRETS_KEY"].startswith("${VCIO_SECRETS_KEY:?")
    assert spec["ports"] == ["8005:8000"]
    [app] = k8s_deployments()["vcio-integrations"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in app["env"]}
    assert env["VCIO_SECRETS_KEY"]["valueFrom"] == {"secretKeyRef": {"name": "vcio", "key": "secrets-key"}}
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            assert "VCIO_WEBHOOKS_ALLOW_PRIVATE" not in path.read_text(), path


def console_names_read() -> set[str]:
    env = Recorder({"VCIO_JWT_SECRET": TEST_SECRET})
    load_console_settings(env)
    return env.asked | {"SERVICE"}


def test_compose_runs_the_console_against_every_service() -> None:
    spec = compose()["services"]["console"]
    env = spec["environment"]
    assert set(env) <= console_names_read()
    assert env["SERVICE"] == "vcio_console" and "CONSOLE_DEVELOPMENT" not in env  # its cookie stays Secure
    assert {s: env[f"{s.upper()}_URL"] for s in SERVICES} == {s: f"http://{s}:8000" for s in SERVICES}
    assert set(spec["depends_on"]) == set(SERVICES)
    assert spec["ports"] == ["8000:8000"]
    settings = load_console_settings({k: interpolate(str(v), {"VCIO_JWT_SECRET": TEST_SECRET}) for k, v in env.items()})
    assert settings.service_urls == {s: f"http://{s}:8000" for s in SERVICES} and not settings.development


def test_kubernetes_runs_the_console_only_behind_oauth2_proxy() -> None:
    """The console's pods: the app on 127.0.0.1's port 8000 with the services' in-cluster URLs and the JWKS the
    services verify with; beside it oauth2-proxy, which signs people in and passes their access token on. The
    Service reaches the proxy, never the console itself."""
    deployment = k8s_deployments()["vcio-console"]
    app, proxy = deployment["spec"]["template"]["spec"]["containers"]
    assert env_names(app["env"]) <= console_names_read()
    env = {e["name"]: e.get("value") for e in app["env"]}
    assert env["SERVICE"] == "vcio_console" and "CONSOLE_DEVELOPMENT" not in env
    assert {s: env[f"{s.upper()}_URL"] for s in SERVICES} == {s: f"http://vcio-{s}" for s in SERVICES}
    assert {"VCIO_JWT_JWKS_URL", "CONSOLE_SECRET"} <= set(env)  # the console refuses JWKS without its own secret
    assert "--upstream=http://127.0.0.1:8000" in proxy["args"] and "--pass-access-token=true" in proxy["args"]
    [service] = [
        d
        for d in yaml.safe_load_all((DEPLOY / "k8s" / "services.yaml").read_text())
        if d and d["kind"] == "Service" and d["metadata"]["name"] == "vcio-console"
    ]
    assert service["spec"]["ports"] == [{"port": 80, "targetPort": 4180}]


def test_the_image_has_the_console_and_its_command_starts_it() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "COPY console console" in dockerfile and " ./console " in dockerfile
    assert callable(importlib.import_module("vcio_console.main").build_app)  # ${SERVICE}.main:build_app
