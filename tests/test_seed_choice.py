"""benchmarks/seed_choice.py on hand-written job results (no training, no models)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_path = Path(__file__).resolve().parents[1] / "benchmarks" / "seed_choice.py"
_spec = importlib.util.spec_from_file_location("seed_choice", _path)
sc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sc)


def line(arch: str, gain: float, acc: float, verdict: str = "[green]accepted[/]") -> str:
    """A round-1 log line in bdistil._describe's format."""
    return (f"   36.7 s  round 1: {arch:<24} 10,800 MACs ~    36,235 instructions (measured)"
            f"  edge +0.700  alpha 3.00  val gain +{gain:.2f}%  val acc {acc:.1f}% "
            f"(+391/-0)  {verdict}")


def jobs(gains: tuple[float, float], accs: tuple[float, float], kept_test: float,
         base_test: float, base_arch: str = "c1d-4-8-8") -> tuple[dict, dict]:
    log = [line("c1d-2-4", 70.0, 88.9),
           line("c1d-2-4", 99.0, 99.9, "not a weak learner"),  # not accepted: ignored
           line("c1d-4-8-8", gains[0], accs[0]), line("c1d-4-8-8", gains[1], accs[1]),
           "   37.2 s  round 1: F_1 val accuracy 96.0%, residual 0.442, alpha 3.00",
           "   91.6 s  round 2: c1d-4-8-8+s01_f0  11,400 MACs ~ 1 instructions (model)  "
           "edge +0.495  alpha 3.00  val gain +9.22%  val acc 97.8% (+12/-4)  "
           "[green]accepted[/]"]
    config = {"bdistil": {"candidates": ["c1d-4-8-8", "x"], "int8": [kept_test, 0.9]},
              "log": log}
    base = {"bdistil": {"candidates": [base_arch, "y"], "int8": [base_test, 0.9]}}
    return config, base


def test_round1_trials_reads_only_the_accepted_round1_trials_of_the_arch():
    config, _ = jobs((84.31, 84.67), (96.9, 96.0), 0.964, 0.971)
    assert sc.round1_trials(config["log"], "c1d-4-8-8") == [(84.31, 96.9), (84.67, 96.0)]
    assert sc.round1_trials(config["log"], "c1d-2-4") == [(70.0, 88.9)]


def test_kd_gain_kept_the_worse_seed_and_val_accuracy_the_better():
    # the fsdd seed 0 job: repetition 1 has the larger KD gain but the lower val accuracy,
    # and scores 96.4 on test against repetition 0's 97.1
    c = sc.job_choice(*jobs((84.31, 84.67), (96.9, 96.0), 0.964, 0.971))
    assert c["kd_gain"] == pytest.approx(-0.7)
    assert c["val_acc"] == 0.0  # it keeps repetition 0
    assert c["differ"] and not c["kd_gain_right"] and c["val_acc_right"]


def test_both_rules_keep_the_better_seed():
    c = sc.job_choice(*jobs((84.0, 85.0), (96.0, 97.0), 0.98, 0.96))
    assert c["kd_gain"] == pytest.approx(2.0) and c["val_acc"] == pytest.approx(2.0)
    assert c["kd_gain_right"] and c["val_acc_right"]


def test_repetition_0_kept_must_score_the_base_job():
    same = sc.job_choice(*jobs((85.0, 84.0), (97.0, 96.0), 0.97, 0.97))
    assert same == {"kd_gain": 0.0, "val_acc": 0.0, "differ": False, "mismatch": False}
    assert sc.job_choice(*jobs((85.0, 84.0), (97.0, 96.0), 0.95, 0.97))["mismatch"]


def test_a_seed_no_job_scored_on_test_is_unknown_not_zero():
    # KD gain kept repetition 0, val accuracy prefers repetition 1: its test score is unknown
    c = sc.job_choice(*jobs((85.0, 84.0), (96.0, 97.0), 0.97, 0.97))
    assert c == {"unknown": True, "mismatch": False}
    s = sc.summarise([c, sc.job_choice(*jobs((84.0, 85.0), (96.0, 97.0), 0.98, 0.96))])
    assert (s["jobs"], s["unknown"], s["changed"]) == (1, 1, 1)


def test_other_stage1_architectures_are_left_out():
    assert sc.job_choice(*jobs((84.0, 85.0), (96.0, 97.0), 0.98, 0.96, "c1d-2-4")) is None


def test_summary_means_and_counts_by_hand():
    choices = [sc.job_choice(*j) for j in (
        jobs((84.31, 84.67), (96.9, 96.0), 0.964, 0.971),  # KD -0.7, acc 0 (right)
        jobs((84.0, 85.0), (96.0, 97.0), 0.98, 0.96),  # both +2.0 (right)
        jobs((85.0, 84.0), (97.0, 96.0), 0.97, 0.97))]  # unchanged: 0, 0
    s = sc.summarise(choices)
    assert (s["jobs"], s["changed"], s["mismatch"]) == (3, 2, 0)
    assert s["kd_gain"]["mean"] == pytest.approx((-0.7 + 2.0) / 3)
    assert s["val_acc"]["mean"] == pytest.approx(2.0 / 3)
    assert (s["kd_gain"]["right"], s["val_acc"]["right"]) == (1, 2)
