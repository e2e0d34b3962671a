"""benchmarks/stage_swap.py's attribution on hand-made outputs (no training, no models)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_path = Path(__file__).resolve().parents[1] / "benchmarks" / "stage_swap.py"
_spec = importlib.util.spec_from_file_location("stage_swap", _path)
sw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sw)

Y = np.array([0, 1, 2, 0, 1, 2, 0, 0])  # 4 of 8 examples are class 0


def onehot(labels) -> np.ndarray:
    return 0.9 * np.eye(3)[np.asarray(labels)]


def outputs(b: list, r: list, alphas: list[float]) -> dict[str, np.ndarray]:
    """val and test alike (the weights are then fitted on the very examples scored)."""
    out = {"y_val": Y, "y_test": Y, "alphas": np.array(alphas)}
    for k, (bk, rk) in enumerate(zip(b, r, strict=True), start=1):
        for s in ("val", "test"):
            out[f"b{k}_{s}"], out[f"r{k}_{s}"] = bk, rk
    return out


def test_the_same_student_on_both_sides_swaps_to_zero():
    right, half = onehot(Y), onehot([0, 1, 2, 1, 2, 0, 0, 0])
    s = sw.swap_scores(outputs([right, half], [right, half], [1.0, 1.0]), bound=3.0)
    assert s["swap"] == [0.0, 0.0]


def test_a_perfect_student_against_a_constant_one():
    # stage 1 is always class 0 for both methods (4 of 8 right); B-DISTIL's stage 2 is
    # perfect, RESCHED's always says class 1. With the perfect member the pair is right on
    # 8/8; with the constant one it answers one class everywhere, class 0 at best (4/8).
    const0, const1, right = onehot([0] * 8), onehot([1] * 8), onehot(Y)
    s = sw.swap_scores(outputs([const0, right], [const0, const1], [3.0, 3.0]), bound=3.0)
    assert s["swap"][0] == 0.0
    assert s["swap"][1] == pytest.approx(1.0 - 0.5)  # F_1 + const1: class 0 wins, 4/8


def test_weights_measure_what_per_prefix_refitting_would_recover():
    # stage 2 is wrong on every example; deployed with a weight 30x stage 1's, prefix 2
    # answers stage 2 (0/8). RESCHED's rule keeps stage 2 at its floor: stage 1 decides, 8/8.
    right, wrong = onehot(Y), onehot((Y + 1) % 3)
    s = sw.swap_scores(outputs([right, wrong], [right, right], [0.1, 3.0]), bound=3.0)
    assert s["weights"][0] == pytest.approx(0.0)
    assert s["weights"][1] == pytest.approx(1.0)


def test_summary_pools_the_datasets_and_skips_stages_a_job_never_reached():
    doc = sw.summarise({"a": [{"swap": [0.1, 0.2], "weights": [0.0, 0.0]},
                              {"swap": [0.3], "weights": [0.0]}],
                        "b": [{"swap": [0.2, -0.2], "weights": [0.0, 0.1]}]})
    assert doc["a"]["swap"]["mean"] == pytest.approx([0.2, 0.2])
    assert doc["a"]["swap"]["n"] == [2, 1] and doc["a"]["swap"]["se"][1] is None
    assert doc["pooled"]["swap"]["mean"] == pytest.approx([0.2, 0.0])
    assert doc["pooled"]["swap"]["n"] == [3, 2]
    assert "a | 1 | 2 | +20.00 ± 10.00 |" in sw.table(doc)  # sd 0.1414 / sqrt 2
    assert "pooled | 1 | 3 | +20.00 ± 5.77 |" in sw.table(doc)  # sd 0.1 / sqrt 3


def test_fresh_candidates_are_read_from_the_jobs_log_lines():
    log = [
        "  72.5 s  round 3: c2d-6-12-12+s02_f0  206,976 MACs ~  565,474 instructions (model)"
        "  edge +0.172  alpha 3.00  val gain +0.45%  val acc 97.9% (+0/-0)  [green]accepted[/]",
        "  72.5 s  round 3: c2d-6-12-12+s02_f0  206,976 MACs ~  565,474 instructions (model)"
        "  edge +0.293  alpha 1.35  val gain +1.98%  val acc 97.5% (+1/-4)  (fresh, no "
        "connection, beta 0.55)  [red]not a weak learner[/]",
        "  40.1 s  round 2: c2d-6-12+s01_f0  154,056 MACs ~  442,295 instructions (model)"
        "  edge +0.186  alpha 0.90  val gain +1.13%  val acc 97.3% (+3/-2)  (fresh, no "
        "connection, beta 0.70)  [green]accepted[/]",
    ]
    assert sw._fresh_lines(log, 3) == [{"name": "c2d-6-12-12", "val_gain": pytest.approx(0.0198),
                                        "val_fixed_broken": [1, 4], "accepted": False}]
    assert sw._fresh_lines(log, 2)[0]["accepted"] is True


def test_readout_compares_the_per_prefix_curves_of_both_methods():
    # B-DISTIL's stage 2 is right everywhere, RESCHED's wrong everywhere; both first stages
    # say class 0 (4/8). Per prefix by RESCHED's rule, B-DISTIL's pair answers 8/8 at k = 2
    # (the fit weights stage 2 above stage 1, which the floor allows up to 3:1); RESCHED's
    # pair answers class 0 or the wrong class, 4/8 at best.
    const0, right, wrong = onehot([0] * 8), onehot(Y), onehot((Y + 1) % 3)
    s = sw.swap_scores(outputs([const0, right], [const0, wrong], [3.0, 3.0]), bound=3.0)
    assert s["readout"][0] == 0.0
    assert s["readout"][1] == pytest.approx(1.0 - 0.5)
    doc = sw.summarise({"a": [s, s]})
    assert doc["a"]["readout"]["mean"] == pytest.approx([0.0, 0.5])
    assert "a | 2 | 2 | " in sw.table(doc) and sw.table(doc).endswith("+50.00 ± 0.00")
