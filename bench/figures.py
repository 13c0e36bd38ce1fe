"""The two kinds of figure every section reports, so a section states only what it measured:

- a rate (higher is better) held to a fraction of its baseline's rate: `rate_figure`;
- a time, latency or size (lower is better) held under a ceiling: `ceiling_figure`.
"""

from __future__ import annotations

from typing import Any

from bench.results import Figure, speed_ratio


def rate_figure(
    name: str,
    rate: float,
    baseline_rate: float,
    *,
    unit: str,
    baseline: str,
    floor: float | None,
    digits: int | None = None,
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> Figure:
    """A rate beside its baseline's rate, both rounded to `digits` (None: a whole number); met when it reaches
    `floor` × the baseline's rate, or only reported when `floor` is None."""
    return Figure(
        name=name,
        value=round(rate, digits),
        unit=unit,
        baseline=baseline,
        baseline_value=round(baseline_rate, digits),
        ratio=speed_ratio(rate, baseline_rate, higher_is_better=True),
        target=f"≥ {floor} × baseline" if floor else "report",
        met=rate >= floor * baseline_rate if floor else None,
        note=note,
        extra=extra or {},
    )


def ceiling_figure(
    name: str,
    value: float,
    baseline_value: float | None,
    *,
    unit: str,
    baseline: str,
    ceiling: float | None,
    target: str | None = None,
    speed: bool = True,
    digits: int = 2,
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> Figure:
    """A time, latency (`speed`: the ratio is the baseline's speed fraction) or size (no ratio) beside its
    baseline's, if any; met when it stays at or under `ceiling`, or only reported when `ceiling` is None.
    `target` words it where "≤ ceiling unit" does not."""
    if target is None:
        target = f"≤ {ceiling} {unit}" if ceiling else "report"
    return Figure(
        name=name,
        value=round(value, digits),
        unit=unit,
        baseline=baseline,
        baseline_value=None if baseline_value is None else round(baseline_value, digits),
        ratio=speed_ratio(value, baseline_value, higher_is_better=False) if speed else None,
        target=target,
        met=value <= ceiling if ceiling else None,
        note=note,
        extra=extra or {},
    )
