"""Figures, the Rich table and `.bench/results.json`."""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(width=None if sys.stdout.isatty() else 200)


@dataclass
class Figure:
    """One measured figure beside its raw baseline from the same run.

    `ratio` always reads "fraction of the raw speed": value/baseline_value for rates, baseline_value/value for
    times and latencies. `target` is the issue's target in words; `met` is None where the
    issue sets none."""

    name: str
    value: float | None
    unit: str
    baseline: str
    baseline_value: float | None
    ratio: float | None
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def speed_ratio(value: float | None, baseline_value: float | None, *, higher_is_better: bool) -> float | None:
    if not value or not baseline_value:
        return None
    return round(value / baseline_value if higher_is_better else baseline_value / value, 3)


class Results:
    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}
        self.errors: dict[str, str] = {}
        self.started = time.time()

    def add(self, fig: Figure) -> Figure:
        self.figures[fig.name] = fig
        mark = {True: "[green]met[/]", False: "[red]missed[/]", None: ""}[fig.met]
        console.print(
            f"  [bold]{fig.name}[/] {_num(fig.value)} {fig.unit}  (baseline {_num(fig.baseline_value)}; "
            f"ratio {_num(fig.ratio)}) {mark}"
        )
        return fig

    def failed(self, section: str, error: str) -> None:
        self.errors[section] = error
        console.print(f"[red]{section} failed:[/] {error}")

    def table(self) -> Table:
        t = Table(title="vcio bench", show_lines=False)
        for col in ("figure", "value", "unit", "baseline (same run)", "baseline value", "ratio", "target", "met"):
            t.add_column(col, overflow="fold")
        for f in self.figures.values():
            met = {True: "[green]yes[/]", False: "[red]no[/]", None: "—"}[f.met]
            t.add_row(f.name, _num(f.value), f.unit, f.baseline, _num(f.baseline_value), _num(f.ratio), f.target, met)
        return t

    def write(self, directory: Path, meta: dict[str, Any]) -> Path:
        """`results.json` is exactly {name: {value, unit, baseline, baseline_value, ratio, ...}}; how the run
        was made (scale, sizes, errors) goes beside it in `meta.json`."""
        directory.mkdir(parents=True, exist_ok=True)
        out: dict[str, Any] = {}
        for f in self.figures.values():
            d = asdict(f)
            d.pop("name")
            out[f.name] = d
        (directory / "results.json").write_text(json.dumps(out, indent=2, default=str) + "\n")
        info = {
            **meta,
            "python": platform.python_version(),
            "host": platform.node(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "duration_s": round(time.time() - self.started, 1),
            "errors": self.errors,
        }
        (directory / "meta.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
        return directory / "results.json"


def _num(v: float | None) -> str:
    if v is None:
        return "—"
    if isinstance(v, int) or abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
