"""Accuracy with its uncertainty: a test-split accuracy is a binomial proportion.

Every accuracy the report and the CLI show carries the test-split size n and a 95% Wilson
score interval (Wilson 1927, "Probable inference, the law of succession, and statistical
inference", JASA 22:209-212; recommended over the normal approximation by Brown, Cai and
DasGupta 2001, "Interval estimation for a binomial proportion", Statistical Science 16:101-133):

    centre = (p + z^2 / 2n) / (1 + z^2 / n)
    half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2),   z = 1.959964 (95%)

Under SMALL_SPLIT samples the interval is several points wide and the report says so.

A mean over n independent runs (seeds, folds) gets the Student t interval instead,
mean ± t(0.975, n − 1) · s.e. (`t_interval`), as benchmarks/distill_quality.py gives for the
paired difference of two methods.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal
SMALL_SPLIT = 100  # test splits under this many samples are flagged


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval (lo, hi) of a proportion successes / n, in [0, 1]."""
    if n <= 0:
        raise ValueError("a proportion needs n >= 1 samples")
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n}")
    p, z2 = successes / n, z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def t_interval(mean: float | None, se: float | None, n: int) -> list[float] | None:
    """The 95% Student t interval [lo, hi] of a mean over n independent values whose standard
    error is se (df = n - 1); None without a mean or an s.e. (fewer than two values)."""
    if mean is None or se is None or n < 2:
        return None
    from scipy.stats import t  # scipy comes with scikit-learn; imported only where needed

    half = float(t.ppf(0.975, n - 1)) * se
    return [mean - half, mean + half]


def accuracy_cell(accuracy: float | None, n: int | None) -> str:
    """'87.3 [83.1, 90.6]': the accuracy in % and its 95% interval ('–' when missing)."""
    if accuracy is None:
        return "–"
    if not n:
        return f"{100 * accuracy:.1f}"
    lo, hi = wilson_interval(round(accuracy * n), n)
    return f"{100 * accuracy:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"


def split_note(n: int | None, what: str = "test split") -> str:
    """One sentence on the sample size behind the accuracies, flagging a small split."""
    if not n:
        return f"{what}: size unknown; accuracies shown without intervals"
    note = f"{what}: n = {n:,} samples; [lo, hi] is the 95% Wilson interval"
    if n < SMALL_SPLIT:
        lo, hi = wilson_interval(n // 2, n)
        note += (f". SMALL SPLIT (n < {SMALL_SPLIT}): an accuracy of 50% could be anything "
                 f"from {100 * lo:.0f}% to {100 * hi:.0f}%; do not read differences of a few "
                 "points")
    return note
