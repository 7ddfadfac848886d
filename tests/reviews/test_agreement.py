"""Hand-computed checks for portal.reviews.agreement (exact fractions, compared with approx)."""

from fractions import Fraction

import pytest

from portal.reviews.agreement import Agreement, agreement, median

Y, N = "yes", "not_yet"


def _pairs(yy: int = 0, yn: int = 0, ny: int = 0, nn: int = 0) -> list[tuple[str, str]]:
    """Pairs as (rater A, rater B) from the four cells of the 2x2 table."""
    return [(Y, Y)] * yy + [(Y, N)] * yn + [(N, Y)] * ny + [(N, N)] * nn


def test_constructed_ten_pairs():
    # 7 yes/yes, 1 yes/not_yet, 0 not_yet/yes, 2 not_yet/not_yet  (N = 10)
    # A: 8 yes, 2 not_yet     B: 7 yes, 3 not_yet
    # p_o   = (7 + 2) / 10 = 9/10
    # Cohen p_e = (8/10)(7/10) + (2/10)(3/10) = 56/100 + 6/100 = 62/100 = 31/50
    # kappa = (9/10 - 31/50) / (1 - 31/50) = (45/50 - 31/50) / (19/50) = 14/19 ~ 0.7368
    # Gwet  pi_yes = (8 + 7)/20 = 3/4, pi_not_yet = (2 + 3)/20 = 1/4
    #       p_e = 1/(2-1) * (3/4*1/4 + 1/4*3/4) = 6/16 = 3/8
    # AC1   = (9/10 - 3/8) / (1 - 3/8) = (36/40 - 15/40) / (25/40) = 21/25 = 0.84
    result = agreement(_pairs(yy=7, yn=1, ny=0, nn=2))
    assert result.pairs == 10
    assert result.percent == pytest.approx(float(Fraction(9, 10)))
    assert result.kappa == pytest.approx(float(Fraction(14, 19)))
    assert result.ac1 == pytest.approx(float(Fraction(21, 25)))


def test_unused_third_category_changes_ac1_but_not_kappa():
    # Same 10 pairs, q = 3 categories ("maybe" never used: n_A = n_B = 0, pi = 0).
    # Cohen p_e gains 0 * 0, so kappa stays 14/19.
    # Gwet  p_e = 1/(3-1) * (3/16 + 3/16 + 0) = 3/16
    # AC1   = (9/10 - 3/16) / (1 - 3/16) = (72/80 - 15/80) / (65/80) = 57/65 ~ 0.8769
    result = agreement(_pairs(yy=7, yn=1, ny=0, nn=2), categories=(Y, N, "maybe"))
    assert result.kappa == pytest.approx(float(Fraction(14, 19)))
    assert result.ac1 == pytest.approx(float(Fraction(57, 65)))


def test_kappa_paradox():
    # 18 yes/yes, 1 yes/not_yet, 1 not_yet/yes  (N = 20)
    # A: 19 yes, 1 not_yet    B: 19 yes, 1 not_yet
    # p_o   = 18/20 = 9/10
    # Cohen p_e = (19/20)(19/20) + (1/20)(1/20) = 361/400 + 1/400 = 362/400 = 181/200
    # kappa = (180/200 - 181/200) / (1 - 181/200) = (-1/200) / (19/200) = -1/19 ~ -0.0526
    # Gwet  pi_yes = 38/40 = 19/20, pi_not_yet = 2/40 = 1/20
    #       p_e = 1/(2-1) * (19/20*1/20 + 1/20*19/20) = 38/400 = 19/200
    # AC1   = (180/200 - 19/200) / (1 - 19/200) = (161/200) / (181/200) = 161/181 ~ 0.8895
    #       (not 17/19 ~ 0.8947, which is what (p_o - 1/20)/(1 - 1/20) would give)
    result = agreement(_pairs(yy=18, yn=1, ny=1))
    assert result.pairs == 20
    assert result.percent == pytest.approx(0.9)
    assert result.kappa == pytest.approx(float(Fraction(-1, 19)))
    assert result.ac1 == pytest.approx(float(Fraction(161, 181)))
    assert result.kappa < 0 < 0.85 < result.ac1


def test_perfect_agreement_with_both_categories():
    # 3 yes/yes, 2 not_yet/not_yet (N = 5); A and B: 3 yes, 2 not_yet
    # p_o = 1
    # Cohen p_e = (3/5)^2 + (2/5)^2 = 13/25 -> kappa = (12/25)/(12/25) = 1
    # Gwet  pi = 3/5, 2/5; p_e = 2 * 3/5 * 2/5 = 12/25 -> AC1 = (13/25)/(13/25) = 1
    result = agreement(_pairs(yy=3, nn=2))
    assert result == Agreement(pairs=5, percent=1.0, kappa=pytest.approx(1.0), ac1=pytest.approx(1.0))


def test_all_yes_kappa_undefined_ac1_one():
    # 4 yes/yes (N = 4): p_o = 1
    # Cohen p_e = (4/4)(4/4) + 0*0 = 1 -> kappa = 0/0, reported as None
    # Gwet  pi_yes = 1, pi_not_yet = 0; p_e = 1*0 + 0*1 = 0 -> AC1 = (1 - 0)/(1 - 0) = 1
    # (AC1's p_e <= 1/q, so it is always defined with at least one pair: two raters who
    #  agree on every item get full credit even if they only ever used one category.)
    result = agreement(_pairs(yy=4))
    assert result.pairs == 4
    assert result.percent == 1.0
    assert result.kappa is None
    assert result.ac1 == 1.0


def test_no_pairs():
    assert agreement([]) == Agreement(pairs=0, percent=None, kappa=None, ac1=None)
    assert agreement(iter(())) == Agreement(pairs=0, percent=None, kappa=None, ac1=None)


def test_accepts_any_iterable_once():
    # A generator is consumed once; results match the list version.
    pairs = _pairs(yy=7, yn=1, nn=2)
    assert agreement(p for p in pairs) == agreement(pairs)


def test_swapping_raters_keeps_statistics():
    # All three statistics are symmetric in A and B.
    forward = agreement(_pairs(yy=7, yn=1, nn=2))
    swapped = agreement([(b, a) for a, b in _pairs(yy=7, yn=1, nn=2)])
    assert swapped.percent == pytest.approx(forward.percent)
    assert swapped.kappa == pytest.approx(forward.kappa)
    assert swapped.ac1 == pytest.approx(forward.ac1)


def test_unknown_rating_rejected():
    with pytest.raises(ValueError, match="maybe"):
        agreement([(Y, "maybe")])


@pytest.mark.parametrize("categories", [(), (Y,), (Y, Y)])
def test_bad_categories_rejected(categories):
    with pytest.raises(ValueError):
        agreement([(Y, Y)], categories=categories)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([3], 3.0),
        ([1, 5], 3.0),  # (1 + 5) / 2
        ([5, 1, 3], 3.0),  # sorted 1, 3, 5 -> middle 3
        ([0.2, 0.9, 0.5, 0.4], 0.45),  # sorted 0.2, 0.4, 0.5, 0.9 -> (0.4 + 0.5) / 2
    ],
)
def test_median(values, expected):
    result = median(values)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)
        assert isinstance(result, float)


def test_median_accepts_generator():
    assert median(x for x in (4, 2, 8)) == 4.0
