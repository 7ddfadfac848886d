"""Inter-rater agreement for double-scored reviews.

Pure helpers: standard library only (no Flask, no SQLAlchemy), so staff
reports, scripts and tests can all use them.

A share of submissions is scored by two reviewers independently. Each
double-scored item gives one pair ``(rating of rater A, rating of rater B)``,
where a rating is a category label such as ``"yes"`` or ``"not_yet"``
(``portal.reviews.models.Result`` is a ``StrEnum``, so its members work too).
When the pairs describe "reviewer R against their partners", the caller puts
R first.

With N pairs, q categories and n_Ak / n_Bk the number of times rater A / B
chose category k:

* observed agreement  p_o = (number of pairs with equal ratings) / N
* Cohen's kappa       p_e = sum_k (n_Ak / N) * (n_Bk / N)
                      kappa = (p_o - p_e) / (1 - p_e)
* Gwet's AC1          pi_k = (n_Ak + n_Bk) / (2N)
                      p_e = 1 / (q - 1) * sum_k pi_k * (1 - pi_k)
                      AC1 = (p_o - p_e) / (1 - p_e)

Undefined cases:

* no pairs: every statistic is ``None``.
* kappa is ``None`` when Cohen's p_e == 1, i.e. both raters used one and
  the same category for every item (then p_o is 1 too and kappa is 0/0).
* AC1's p_e can never reach 1: sum_k pi_k(1 - pi_k) = 1 - sum_k pi_k^2 is at
  most 1 - 1/q, so p_e <= 1/q <= 1/2. AC1 is therefore defined whenever there
  is at least one pair. In particular, when every pair is the same category
  (e.g. all "yes"/"yes"), p_e = 0 and AC1 = p_o = 1: unanimous raters get
  full credit rather than the "undefined" that kappa gives. A guard for
  p_e == 1 is kept anyway (returning ``None``) so the function can never
  divide by zero.

Everything is computed with exact fractions and converted to ``float`` at
the end, so the p_e == 1 test is exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Agreement", "agreement", "median"]

DEFAULT_CATEGORIES = ("yes", "not_yet")


@dataclass(frozen=True)
class Agreement:
    """Agreement between two raters over ``pairs`` double-scored items."""

    pairs: int  # number of double-scored items
    percent: float | None  # observed agreement p_o in [0, 1]; None when pairs == 0
    kappa: float | None  # Cohen's kappa; None when no pairs or Cohen's p_e == 1
    ac1: float | None  # Gwet's AC1; None when no pairs (its p_e is always <= 1/q)


def agreement(
    pairs: Iterable[tuple[str, str]],
    categories: Sequence[str] = DEFAULT_CATEGORIES,
) -> Agreement:
    """Observed agreement, Cohen's kappa and Gwet's AC1 for ``(A, B)`` rating pairs.

    ``categories`` lists every possible rating (q = len(categories) matters for
    AC1 even when some category is never used). Raises ``ValueError`` if fewer
    than two distinct categories are given, a category is repeated, or a
    rating is not one of ``categories``.
    """
    cats = list(categories)
    if len(cats) < 2:
        raise ValueError("agreement needs at least two categories")
    if len(set(cats)) != len(cats):
        raise ValueError(f"categories must be distinct: {cats!r}")
    known = set(cats)

    a_counts: Counter[str] = Counter()
    b_counts: Counter[str] = Counter()
    n = 0
    agreed = 0
    for a, b in pairs:
        for rating in (a, b):
            if rating not in known:
                raise ValueError(f"rating {rating!r} is not one of {cats!r}")
        a_counts[a] += 1
        b_counts[b] += 1
        agreed += a == b
        n += 1

    if n == 0:
        return Agreement(pairs=0, percent=None, kappa=None, ac1=None)

    p_o = Fraction(agreed, n)

    # Cohen: chance agreement from each rater's own marginals.
    pe_cohen = sum((Fraction(a_counts[k], n) * Fraction(b_counts[k], n) for k in cats), Fraction(0))
    kappa = None if pe_cohen == 1 else (p_o - pe_cohen) / (1 - pe_cohen)

    # Gwet AC1: chance agreement from the pooled marginals.
    q = len(cats)
    pi = [Fraction(a_counts[k] + b_counts[k], 2 * n) for k in cats]
    pe_gwet = sum((p * (1 - p) for p in pi), Fraction(0)) / (q - 1)
    ac1 = None if pe_gwet == 1 else (p_o - pe_gwet) / (1 - pe_gwet)  # pe_gwet <= 1/q, see module doc

    return Agreement(
        pairs=n,
        percent=float(p_o),
        kappa=None if kappa is None else float(kappa),
        ac1=None if ac1 is None else float(ac1),
    )


def median(values: Iterable[float]) -> float | None:
    """Plain median (mean of the two middle values for an even count); ``None`` when empty."""
    ordered = sorted(values)
    count = len(ordered)
    if count == 0:
        return None
    mid = count // 2
    if count % 2:
        return float(ordered[mid])
    return float((ordered[mid - 1] + ordered[mid]) / 2)
