"""Wilson and Student t intervals, checked against values worked out by hand (the Wilson
formula's closed forms, a printed t table), not by the code under test."""

from __future__ import annotations

import pytest

from pipeline.stats import (
    SMALL_SPLIT,
    Z95,
    accuracy_cell,
    split_note,
    t_interval,
    wilson_interval,
)


def test_closed_forms_at_zero_and_all():
    z2 = Z95 * Z95
    for n in (1, 10, 250):
        assert wilson_interval(0, n) == pytest.approx((0.0, z2 / (n + z2)))
        assert wilson_interval(n, n) == pytest.approx((n / (n + z2), 1.0))


def test_one_in_ten_and_symmetry():
    # by hand: p = 0.1, z^2 = 3.8415; centre 0.29208 / 1.38415 = 0.21102, half 0.19315
    lo, hi = wilson_interval(1, 10)
    assert (lo, hi) == pytest.approx((0.01787, 0.40416), abs=5e-5)
    lo9, hi9 = wilson_interval(9, 10)
    assert (lo9, hi9) == pytest.approx((1 - hi, 1 - lo))


def test_interval_narrows_with_n_and_always_holds_the_estimate():
    widths = []
    for n in (20, 100, 1000):
        lo, hi = wilson_interval(int(0.45 * n), n)
        assert lo < 0.45 < hi
        widths.append(hi - lo)
    assert widths[0] > widths[1] > widths[2]
    assert widths[0] > 0.39 and widths[2] < 0.07  # n=20: 40 points wide


def test_cells_and_the_small_split_flag():
    # by hand: centre 0.54604 / 1.19208 = 0.45806, half 1.64418 * 0.121557 = 0.19986
    assert accuracy_cell(0.45, 20) == "45.0 [25.8, 65.8]"
    assert accuracy_cell(None, 20) == "–"
    assert "SMALL SPLIT" in split_note(20) and "n = 20 samples" in split_note(20)
    assert "SMALL SPLIT" not in split_note(SMALL_SPLIT)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_t_interval_against_a_printed_t_table():
    """95% Student t quantiles from a printed table: df 1 12.706, df 2 4.303, df 19 2.093."""
    assert t_interval(0.15, 0.05, 2) == pytest.approx([0.15 - 0.6353, 0.15 + 0.6353],
                                                             abs=1e-4)
    assert t_interval(0.01, 0.002, 3) == pytest.approx([0.01 - 0.008606,
                                                              0.01 + 0.008606], abs=1e-6)
    assert t_interval(0.0, 1.0, 20) == pytest.approx([-2.093, 2.093], abs=1e-3)
    assert t_interval(0.1, None, 1) is None and t_interval(None, None, 0) is None
