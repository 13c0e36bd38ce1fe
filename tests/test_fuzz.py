"""Schemathesis against all four OpenAPI documents, on the real processes, with a valid token.

Zero 5xx answers, and zero answers that break their own documented schema. `make fuzz` runs this file alone;
`make test` runs it too. VCIO_FUZZ_EXAMPLES sets the examples per operation (default 15).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vcio_shared.testing import token

EXAMPLES = int(os.environ.get("VCIO_FUZZ_EXAMPLES", "15"))
ST = str(Path(sys.executable).parent / "st")


def fuzz(platform: object, service: str, report_dir: Path) -> dict[str, object]:
    """Run `st run` against a live service; returns the NDJSON summary of what was generated and found."""
    ndjson = report_dir / f"{service}.ndjson"
    cmd = [
        ST,
        "run",
        f"{platform.url(service)}/openapi.json",  # type: ignore[attr-defined]
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--header",
        f"Authorization: Bearer {token('tenant-fuzz')}",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "20261125",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--phases",
        "examples,coverage,fuzzing",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(ndjson),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    cases = sum(1 for line in ndjson.read_text().splitlines() if '"ScenarioFinished"' in line) if ndjson.exists() else 0
    return {"returncode": result.returncode, "output": result.stdout[-6000:] + result.stderr[-2000:], "cases": cases}


@pytest.mark.parametrize("service", ["catalog", "proposals", "billing", "scheduler"])
def test_no_5xx_and_no_schema_violation(platform: object, service: str, tmp_path: Path) -> None:
    outcome = fuzz(platform, service, tmp_path)
    print(json.dumps({"service": service, "scenarios": outcome["cases"]}))
    assert outcome["returncode"] == 0, outcome["output"]
