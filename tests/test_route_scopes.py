"""Every /v1 route of every service demands a scope: this test lists them and fails on one without."""

from fastapi import FastAPI

from tests.conftest import v1_routes


def test_every_v1_route_has_a_scope_of_its_own_service(apps: dict[str, FastAPI]) -> None:
    unscoped, foreign, counted = [], [], 0
    for service, app in apps.items():
        for path, methods, scopes in v1_routes(app):
            counted += 1
            if not scopes:
                unscoped.append(f"{service}: {sorted(methods)} {path}")
            elif any(not s.startswith(f"{service}:") for s in scopes):
                foreign.append(f"{service}: {path} {sorted(scopes)}")
    assert unscoped == []
    assert foreign == []
    assert counted >= 40  # the four services really were inspected


# POSTs that compute and change nothing (a quote from effort hours): a read scope is right for them.
READ_ONLY_POSTS = {"/v1/packages/{package_id}/pricing", "/v1/packages/quote"}


def test_write_routes_need_a_write_scope(apps: dict[str, FastAPI]) -> None:
    wrong = []
    for service, app in apps.items():
        for path, methods, scopes in v1_routes(app):
            if path in READ_ONLY_POSTS:
                continue
            if methods & {"POST", "PUT", "PATCH", "DELETE"} and not any(s.endswith(":write") for s in scopes):
                wrong.append(f"{service}: {sorted(methods)} {path} {sorted(scopes)}")
    assert wrong == []
