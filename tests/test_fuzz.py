"""Schemathesis against all four OpenAPI documents, on the real processes, with a valid token.

Zero 5xx answers, zero answers that break their own documented schema, and zero schema-valid requests refused
(positive_data_acceptance: the schemas state the validation). `make fuzz` runs this file alone; `make test` runs it
too. VCIO_FUZZ_EXAMPLES sets the examples per operation (default 15), VCIO_FUZZ_SEED the seed (default 20261125).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vcio_shared.testing import token

EXAMPLES = int(os.environ.get("VCIO_FUZZ_EXAMPLES", "15"))
SEED = os.environ.get("VCIO_FUZZ_SEED", "20261125")
ST = str(Path(sys.executable).parent / "st")
HOOKS = Path(__file__).with_name("fuzz_hooks.py")
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's default for the check

# Operations that also answer 422 to schema-valid data, for a rule no JSON schema can state; their documents list
# that 422 (problem details naming the field). Everything else is in the schemas: keep this list short.
SEMANTIC_422: dict[str, dict[str, str]] = {
    "catalog": {
        "POST /v1/packages": "cadence RRULE meaning and occurrence caps; amounts in the currency's minor digits",
        "PUT /v1/packages/{package_id}": "as POST /v1/packages",
        "PATCH /v1/packages/{package_id}": "as POST /v1/packages, against the stored package's currency",
        "POST /v1/packages/{package_id}/pricing": "a rate for every role the stored package uses, in its currency",
        "POST /v1/packages/quote": "as POST /v1/packages (a daily cadence), and a rate for every role it uses",
        "PUT /v1/settings": "hourly rates keyed by known ISO 4217 currencies, each in its currency's minor digits",
    },
    "proposals": {
        "POST /v1/proposals": "client_id and the package must exist for the tenant; amounts in the client's currency",
        "PATCH /v1/proposals/{proposal_id}": "as POST /v1/proposals",
        "POST /v1/proposals/{proposal_id}/revise": "as POST /v1/proposals",
        "POST /v1/proposals/{proposal_id}/accept": "accepted_at within the last year and not in the future (now)",
    },
    "billing": {
        "GET /v1/metrics/movements": "`to` not before `from` (two parameters)",
        "GET /v1/metrics/activity-value": "`to` not before `from` (two parameters)",
        "POST /v1/agreements/{agreement_id}/change": "amount in the agreement currency's digits; a date in the term",
        "POST /v1/invoices/{invoice_id}/payments": "amount in the invoice currency's digits, within what is owed",
        "POST /v1/invoices/{invoice_id}/credit-notes": "amount in the invoice currency's digits, within its total",
    },
    "scheduler": {
        "GET /v1/activities": "`due_to` not before `due_from` (two parameters)",
        "GET /v1/capacity": "`to` after `from`, at most a bounded number of days (two parameters)",
        "GET /v1/reports/delivery/{client_id}": "`to` after `from`, at most a bounded number of days",
        "PUT /v1/settings": "a holiday subdivision must be one of its country's, and needs a country",
    },
    "integrations": {
        "POST /v1/webhook-endpoints": "the URL names a host and a valid port, and resolves to public addresses only",
        "PATCH /v1/webhook-endpoints/{endpoint_id}": "as POST /v1/webhook-endpoints",
    },
    "strategy": {
        "POST /v1/standards": "at most 1000 questions in all its sections",
        "PUT /v1/standards/{standard_id}": "as POST /v1/standards",
        "POST /v1/assessments": "the standard (version) must be published and the tenant's or the starter",
        "POST /v1/initiatives": "amounts in the currency's digits; a quarter needs a fiscal year; its findings",
        "PATCH /v1/initiatives/{initiative_id}": "as POST /v1/initiatives, against the stored initiative",
        "GET /v1/clients/{client_id}/roadmap": "`to_year` not before `from_year`, at most 10 years (two parameters)",
        "POST /v1/reports": "the client must be known to strategy; the template the tenant's own or the default",
        "PATCH /v1/reports/{report_id}/components/{component_id}": "only a notes component takes text",
    },
}


def config(service: str, path: Path) -> Path:
    """A schemathesis.toml: positive_data_acceptance also takes 422 on the service's SEMANTIC_422 operations."""
    lines = [f"[checks.positive_data_acceptance]\nexpected-statuses = {json.dumps(ACCEPTED)}\n"]
    for name in SEMANTIC_422[service]:
        lines.append(
            f"[[operations]]\ninclude-name = {json.dumps(name)}\n"
            f"checks.positive_data_acceptance.expected-statuses = {json.dumps([*ACCEPTED, '422'])}\n"
        )
    path.write_text("\n".join(lines))
    return path


def fuzz(platform: object, service: str, report_dir: Path) -> dict[str, object]:
    """Run `st run` against a live service; returns the NDJSON summary of what was generated and found."""
    ndjson = report_dir / f"{service}.ndjson"
    cmd = [
        ST,
        "--config-file",
        str(config(service, report_dir / f"{service}.toml")),
        "run",
        f"{platform.url(service)}/openapi.json",  # type: ignore[attr-defined]
        "--checks",
        "not_a_server_error,response_schema_conformance,positive_data_acceptance",
        "--header",
        f"Authorization: Bearer {token('tenant-fuzz')}",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
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
    # The hooks give each schema-valid request a fresh Idempotency-Key, as a client does.
    environ = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, env=environ)
    cases = sum(1 for line in ndjson.read_text().splitlines() if '"ScenarioFinished"' in line) if ndjson.exists() else 0
    return {"returncode": result.returncode, "output": result.stdout[-6000:] + result.stderr[-2000:], "cases": cases}


@pytest.mark.parametrize("service", ["catalog", "proposals", "billing", "scheduler", "integrations", "strategy"])
def test_no_5xx_and_no_schema_violation(platform: object, service: str, tmp_path: Path) -> None:
    outcome = fuzz(platform, service, tmp_path)
    print(json.dumps({"service": service, "scenarios": outcome["cases"]}))
    assert outcome["returncode"] == 0, outcome["output"]
