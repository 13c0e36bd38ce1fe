"""`python -m bench.report [.bench/results.json]`: the results as a Markdown table (for docs and notes)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.results import _num


def markdown(results: dict[str, Any]) -> str:
    rows = [
        "| figure | value | baseline (same run) | baseline value | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in results.items():
        met = {True: "yes", False: "**no**", None: "—"}[f.get("met")]
        rows.append(
            f"| `{name}` | {_num(f['value'])} {f['unit']} | {f['baseline']} | {_num(f['baseline_value'])} | "
            f"{_num(f['ratio'])} | {f.get('target', '')} | {met} |"
        )
    return "\n".join(rows) + "\n"


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else ".bench/results.json")
    sys.stdout.write(markdown(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
