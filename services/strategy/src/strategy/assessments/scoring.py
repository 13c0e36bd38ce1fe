"""The alignment score (CONTRACT.md section 7): Σ(weight × credit) / Σ weight, per section and overall.

Weights: high 5, medium 3, low 1. Credits: aligned 1, marginal 0.5, vulnerable 0. An answer the vCIO rated
"na", or answered "na" and left unrated, counts in neither sum, and so does a question not answered yet. An
answer "yes" without a rating is aligned; an answer "no" without a rating earns nothing (it is a finding until
the vCIO rates it). The vCIO's rating, when given, wins over the engineer's answer. Scores are percentages with
one decimal, rounded half-up ("72.5"), computed exactly in integers (credits in halves)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from strategy.standards.schemas import WEIGHTS

CREDIT_HALVES = {"aligned": 2, "marginal": 1, "vulnerable": 0}


def effective_rating(answer: str | None, rating: str | None) -> str | None:
    """What an answer counts as: aligned, marginal, vulnerable, na; None when unanswered or an unrated "no"."""
    if rating is not None:
        return rating
    if answer == "yes":
        return "aligned"
    if answer == "na":
        return "na"
    return None


def counts(answer: str | None, rating: str | None) -> bool:
    """Whether an answer counts in the sums (answered, and not "na")."""
    return answer is not None and effective_rating(answer, rating) != "na"


def is_finding(answer: str | None, rating: str | None) -> bool:
    """Every answered question that is not aligned and not "na" is a finding."""
    return counts(answer, rating) and effective_rating(answer, rating) != "aligned"


def score(items: Iterable[tuple[str, str | None, str | None]]) -> Decimal | None:
    """The score of (priority, answer, rating) items as a percentage with one decimal; None when nothing counts."""
    earned = total = 0
    for priority, answer, rating in items:
        if not counts(answer, rating):
            continue
        weight = WEIGHTS[priority]
        total += weight
        earned += weight * CREDIT_HALVES.get(effective_rating(answer, rating) or "vulnerable", 0)
    if total == 0:
        return None
    tenths = (Decimal(earned * 1000) / Decimal(total * 2)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return tenths.scaleb(-1)


def text(value: Decimal | None) -> str | None:
    """A score as the contract writes it: one decimal ("72.5", "100.0")."""
    return None if value is None else f"{value:.1f}"
