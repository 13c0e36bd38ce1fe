"""Every service has the shape docs/architecture.md describes, and the sizes it sets."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("catalog", "proposals", "billing", "scheduler", "integrations", "strategy")
SERVICE_FILES = ("pyproject.toml", "README.md", "tests/conftest.py")
PACKAGE_FILES = ("__init__.py", "main.py", "db.py", "deps.py", "migrations/env.py", "migrations/versions")
NOT_A_NAME = {"utils.py", "helpers.py", "misc.py", "common.py", "testkit.py"}
MAX_MODULE, MAX_FUNCTION = 400, 60


def _sources() -> list[Path]:
    roots = [ROOT / "shared" / "src", ROOT / "cli" / "src", *(ROOT / "services" / s / "src" for s in SERVICES)]
    return sorted(p for r in roots for p in r.rglob("*.py") if "migrations" not in p.parts)


def test_the_document_names_the_files_this_test_checks() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    for name in (*SERVICE_FILES[:2], "main.py", "db.py", "deps.py", "migrations/", "models.py", "schemas.py"):
        assert name.split("/")[-1] in doc or name in doc


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_files_of_the_shape(service: str) -> None:
    home = ROOT / "services" / service
    package = home / "src" / service
    missing = [f for f in SERVICE_FILES if not (home / f).exists()]
    missing += [f"src/{service}/{f}" for f in PACKAGE_FILES if not (package / f).exists()]
    assert missing == []
    domains = [d for d in package.iterdir() if d.is_dir() and (d / "__init__.py").exists() and d.name != "migrations"]
    assert domains, "a service has at least one domain package"
    for domain in domains:
        names = {p.name for p in domain.glob("*.py")}
        assert names & {"router.py", "handlers.py"}, f"{domain} answers nothing and consumes nothing"
        assert not names & NOT_A_NAME, f"{domain} holds a module that names no thing: {names & NOT_A_NAME}"


def test_no_module_or_function_is_over_the_size_without_a_reason() -> None:
    over = []
    for path in _sources():
        text = path.read_text()
        lines = text.splitlines()
        where = path.relative_to(ROOT)
        if len(lines) > MAX_MODULE and not any(line.startswith("# long:") for line in lines[:15]):
            over.append(f"{where}: {len(lines)} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                around = lines[max(first - 2, 0) : node.lineno]
                if size > MAX_FUNCTION and not any("# long:" in line for line in around):
                    over.append(f"{where}:{node.lineno} {node.name}(): {size} lines")
    assert over == []
