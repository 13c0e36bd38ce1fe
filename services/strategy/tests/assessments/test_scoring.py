from decimal import Decimal

from strategy.assessments import scoring


def test_credits_and_weights_by_hand() -> None:
    # high aligned 5 x 1 = 5; medium marginal 3 x 0.5 = 1.5; low vulnerable 1 x 0 = 0 -> 6.5 / 9 = 72.22...
    items = [("high", "yes", "aligned"), ("medium", "no", "marginal"), ("low", "no", "vulnerable")]
    assert scoring.text(scoring.score(items)) == "72.2"


def test_na_counts_in_neither_sum_and_a_yes_without_rating_is_aligned() -> None:
    # high yes (aligned) 5 of 5; the high "na" and the medium rated "na" count nowhere -> 100.0
    items = [("high", "yes", None), ("high", "na", None), ("medium", "yes", "na"), ("low", None, None)]
    assert scoring.text(scoring.score(items)) == "100.0"


def test_an_unrated_no_earns_nothing_and_is_a_finding() -> None:
    # high yes 5 of 5, medium no (unrated) 0 of 3 -> 5 / 8 = 62.5
    assert scoring.text(scoring.score([("high", "yes", None), ("medium", "no", None)])) == "62.5"
    assert scoring.is_finding("no", None)
    assert not scoring.is_finding("yes", None)
    assert not scoring.is_finding("na", None)
    assert scoring.is_finding("yes", "marginal")  # the vCIO's rating wins


def test_scores_round_half_up_not_half_even() -> None:
    # 6.5 / 8 = 81.25 exactly: half-up gives 81.3 where Python's round() would give 81.2
    items = [("high", "yes", None), ("medium", "no", "marginal")]
    assert scoring.score(items) == Decimal("81.3")
    # 0.5 / 8 ... medium marginal 1.5 + low vulnerable 0 over 4 -> 37.5 exactly stays 37.5
    assert scoring.text(scoring.score([("medium", "yes", "marginal"), ("low", "no", "vulnerable")])) == "37.5"


def test_nothing_counted_has_no_score() -> None:
    assert scoring.score([("high", "na", None), ("low", None, None)]) is None
    assert scoring.text(None) is None
