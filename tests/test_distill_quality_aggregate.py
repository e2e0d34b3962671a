"""benchmarks/distill_quality.py's statistics on two hand-made jobs (no training)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

_path = Path(__file__).resolve().parents[1] / "benchmarks" / "distill_quality.py"
_spec = importlib.util.spec_from_file_location("distill_quality", _path)
dq = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dq)


def _job(seed, bd, rs, nr, bd_macs, nr_macs):
    def method(acc, macs):
        return {"candidates": ["x"] * len(acc), "cum_macs": macs, "float": acc, "int8": acc}
    return {"run": "toy", "dataset": "toy", "seed": seed, "seconds": 10.0 * (seed + 1),
            "teacher": {"test_accuracy": 0.9, "macs": 10_000}, "stop_reason": "2 rounds",
            "bdistil": method(bd, bd_macs), "resched": method(rs, bd_macs),
            "noresched": method(nr, nr_macs)}


def test_means_standard_errors_pairs_and_area_by_hand():
    jobs = [_job(0, [0.6, 0.8], [0.5, 0.8], [0.7, 0.7], [100, 1000], [110, 900]),
            _job(1, [0.8], [0.6], [0.6], [100], [100])]  # seed 1 stopped after one stage
    e = dq.aggregate(jobs)["datasets"]["toy"]
    bd = e["methods"]["bdistil"]
    # seed 1 answers at stage 2's place with its stage 1 (carried forward, as its device does)
    assert bd["float"]["mean"] == pytest.approx([0.7, 0.8])
    assert bd["float"]["se"][0] == pytest.approx(0.1)  # sd sqrt(0.02) / sqrt 2
    assert bd["float"]["se"][1] == pytest.approx(0.0) and bd["float"]["n"] == [2, 2]
    assert e["n_reached"] == [2, 1]
    assert bd["cum_macs"] == pytest.approx([100, 550])  # (1000 + 100) / 2
    pr = e["paired"]["bdistil-resched"]["int8"]
    # stage 1: (0.1 + 0.2) / 2; stage 2: seed 0 0.8 - 0.8, seed 1 carried 0.8 - 0.6
    assert pr["mean"] == pytest.approx([0.15, 0.1])
    assert pr["se"][0] == pytest.approx(0.05) and pr["se"][1] == pytest.approx(0.1)
    assert e["methods"]["noresched"]["macs_mismatch"] == pytest.approx([0.05, -0.1])
    # area over log10 MACs 2..3 of seed 0 (one decade): (0.6 + 0.8) / 2; seed 1 has one stage
    assert bd["auc_log_macs_int8"]["mean"] == pytest.approx(0.7)
    assert bd["auc_log_macs_int8"]["n"] == 1
    assert e["teacher"]["mean"] == pytest.approx(0.9) and e["seconds_per_job"] == 15.0
    text = dq.table({"datasets": {"toy": e}})
    assert "toy | 1 | 2 | 100 | 70.0 ± 10.0" in text
    assert "toy | 2 | 2 (1 own) | 550 | 80.0 ± 0.0" in text


def test_the_teacher_is_averaged_over_its_folds_not_over_jobs():
    """Three folds x two seeds: six jobs, three teachers (0.8, 0.9, 1.0); s.e. = 0.1 / sqrt 3."""
    jobs = []
    for run, acc in (("toy", 0.8), ("toy-f1", 0.9), ("toy-f2", 1.0)):
        for seed in (0, 1):
            j = _job(seed, [0.6], [0.5], [0.5], [100], [100])
            j["run"], j["teacher"] = run, {"test_accuracy": acc, "macs": 10_000}
            jobs.append(j)
    t = dq.aggregate(jobs)["datasets"]["toy"]["teacher"]
    assert t["mean"] == pytest.approx(0.9) and t["n"] == 3
    assert t["se"] == pytest.approx(0.1 / math.sqrt(3))  # over the six jobs: 0.037


def test_against_pairs_jobs_by_run_and_seed_by_hand():
    """This run minus an earlier one, only over the (run, seed) both have, stage by stage."""
    now = dq.aggregate([_job(0, [0.6, 0.8], [0.5] * 2, [0.5] * 2, [100, 1000], [100, 1000]),
                        _job(1, [0.8, 0.9], [0.5] * 2, [0.5] * 2, [100, 1000], [100, 1000]),
                        _job(2, [0.1], [0.5], [0.5], [100], [100])])  # seed 2: not in `old`
    old = dq.aggregate([_job(0, [0.5, 0.8], [0.5] * 2, [0.5] * 2, [100, 1000], [100, 1000]),
                        _job(1, [0.5], [0.5], [0.5], [100], [100])])  # one stage
    d = dq.against(now, old)["toy"]
    # stage 1: (0.1 + 0.3) / 2; stage 2: seed 0 0.0, seed 1 0.9 - 0.5 (old carried forward)
    assert d["mean"] == pytest.approx([0.2, 0.2]) and d["n"] == [2, 2]
    assert d["se"][0] == pytest.approx(0.1) and d["se"][1] == pytest.approx(0.2)
    assert "toy | 1 | 2 | 20.0 ± 10.0" in dq.against_table({"toy": d}, "old.json")
    assert dq.against(now, {"datasets": {}}) == {}


def test_seeds_argument():
    assert dq.parse_seeds("3") == [0, 1, 2]
    assert dq.parse_seeds("1,2,3") == [1, 2, 3]
    with pytest.raises(SystemExit, match="--seeds 3 or --seeds 1,2,3"):
        dq.parse_seeds("x")
    assert math.isclose(dq.auc_log_macs([10, 100, 1000], [0.5, 0.7, 0.9]), 0.7)


def test_a_teacher_is_the_same_teacher_whatever_its_training_took():
    a = '{"test_accuracy": 0.845, "epochs_run": 50, "train_seconds": 296.94}'
    b = '{"test_accuracy": 0.845, "epochs_run": 50, "train_seconds": 64.38}'
    c = '{"test_accuracy": 0.846, "epochs_run": 50, "train_seconds": 64.38}'
    assert dq.teacher_identity(a) == dq.teacher_identity(b) == {"test_accuracy": 0.845,
                                                                "epochs_run": 50}
    assert dq.teacher_identity(a) != dq.teacher_identity(c)


def test_a_failed_teacher_step_names_the_call_and_keeps_peds_message(monkeypatch):
    monkeypatch.setattr(dq, "ensure_fold_recipe", lambda run: None)
    monkeypatch.setattr(dq, "ped", lambda *args: "")  # the data steps
    calls = []
    monkeypatch.setattr(dq, "ped_run", lambda *args: calls.append(args) or (
        (2, "error: no dataset named 'nosuch'\n") if "nosuch" in args else (0, "ok\n")))
    with pytest.raises(SystemExit, match=r"`ped teacher -d nosuch` failed \(exit 2\)") as err:
        dq.train_teachers(["digits", "nosuch"], "inprocess", None)
    assert "no dataset named 'nosuch'" in str(err.value)
    assert calls == [("teacher", "-d", "digits"), ("teacher", "-d", "nosuch")]


def test_jobs_go_seed_major_with_the_largest_teacher_first(monkeypatch):
    macs = {"watch": 2_660_096, "watch-f1": 2_660_096, "mnist5k": 7_458_688, "digits": 379_520}
    monkeypatch.setattr(dq, "teacher_macs", macs.__getitem__)
    order = [(run, seed) for run, seed, *_ in dq.job_order(
        ["watch", "watch-f1", "digits", "mnist5k"], [0, 1], "default", 3, None)]
    assert order == [("mnist5k", 0), ("watch", 0), ("watch-f1", 0), ("digits", 0),
                     ("mnist5k", 1), ("watch", 1), ("watch-f1", 1), ("digits", 1)]


def test_targets_by_hand():
    """Two jobs: B-DISTIL 0.80 / 0.78 and 0.82 / 0.82 (a dip of the mean: 0.81 -> 0.80),
    RESCHED 0.80 / 0.80 and NO-RESCHED 0.70 / 0.95 in both, teacher 0.9 at 10,000 MACs."""
    jobs = [_job(0, [0.80, 0.78], [0.80, 0.80], [0.70, 0.95], [100, 1000], [100, 1000]),
            _job(1, [0.82, 0.82], [0.80, 0.80], [0.70, 0.95], [100, 1000], [100, 1000])]
    e = dq.aggregate(jobs)["datasets"]["toy"]
    t = dq.targets(e)
    assert t["paired >= 0 or within 1 s.e."][0]  # stage 2: -0.01 +- 0.01 reaches 0
    assert not t["curve never goes down"][0]  # 0.81 -> 0.80
    assert t["curve never goes down"][1] == "81.00 / 80.00"
    # AUC over one decade: B-DISTIL (0.81 + 0.80) / 2 = 0.805 < NO-RESCHED (0.7 + 0.95) / 2
    assert not t["AUC >= NO-RESCHED"][0]
    assert not t["final >= teacher - 1"][0]  # 0.80 < 0.89
    assert t["stage 1 >= 85% of teacher at <= 15% MACs"][0]  # 0.81 >= 0.765 at 1% of its MACs
    assert t["stage 1 >= 85% of teacher at <= 15% MACs"][1] == "90% at 1.0%"
    assert t["int8 within 0.5 of float"][0]  # the toy jobs' int8 = float
    # a tie of means that differ only in their last bits is not a dip
    tie = dq.aggregate([_job(0, [0.9693333333333333, 0.9693333333333335], [0.9] * 2,
                             [0.9] * 2, [100, 1000], [100, 1000])])["datasets"]["toy"]
    tie["methods"]["bdistil"]["int8"]["mean"] = [0.9693333333333335, 0.9693333333333333]
    assert dq.targets(tie)["curve never goes down"][0]
    assert "**MISSED** (81.00 / 80.00)" in dq.targets_table({"datasets": {"toy": e}})


def test_a_job_saved_before_an_option_existed_is_that_option_at_its_default():
    """same_key: an option absent from a saved key counts as at its default (a new option's
    default is the old behaviour); any other difference means the job must train again."""
    import dataclasses

    key = {"version": 1, "config": dataclasses.asdict(dq.DistillConfig(seed=3)), "teacher": {}}
    old = {**key, "config": {k: v for k, v in key["config"].items() if k != "joint_last"}}
    assert dq.same_key(old, key)
    moved = {**key, "config": key["config"] | {"joint_last": False}}
    old_moved = {**moved, "config": old["config"]}
    assert dq.same_key(moved, moved) and not dq.same_key(old_moved, moved)
    assert not dq.same_key({**old, "config": old["config"] | {"seed": 4}}, key)
    assert not dq.same_key({**key, "teacher": {"x": 1}}, key)
    assert not dq.same_key({**key, "config": key["config"] | {"gone": 1}}, key)
    solver = {k: v for k, v in key["config"]["solver"].items() if k != "epochs"}
    assert dq.same_key({**key, "config": key["config"] | {"solver": solver}}, key)


def test_the_paired_interval_and_its_verdict_by_hand():
    """The stored 95% interval (t table, df 2: 4.303) and the verdict it gives."""
    assert [dq.decided(c) for c in ([0.001, 0.02], [-0.02, -0.001], [-0.01, 0.01], None)] == [
        "ahead", "behind", "level", "-"]
    # three jobs, B-DISTIL 2, 1 and 3 points above RESCHED at stage 1 and equal at stage 2:
    # mean 2, sd 1, se 1/sqrt 3, half-width 4.303/sqrt 3 = 2.484 points; stage 2: se 0
    jobs = [_job(s, [0.5 + d, 0.9], [0.5, 0.9], [0.5, 0.9], [100, 1000], [100, 1000])
            for s, d in enumerate((0.02, 0.01, 0.03))]
    doc = dq.aggregate(jobs)
    ci = doc["datasets"]["toy"]["paired"]["bdistil-resched"]["int8"]["ci95"]
    assert ci[0] == pytest.approx([0.02 - 0.02484, 0.02 + 0.02484], abs=1e-5)
    assert ci[1] == pytest.approx([0.0, 0.0])
    text = dq.decision_table(doc)
    assert "toy | 1 | 3 | +2.00 ± 0.58 | [-0.48, +4.48] | level" in text
    assert "toy | 2 | 3 | +0.00 ± 0.00 | [+0.00, +0.00] | level" in text


def test_report_reprints_a_saved_run_and_names_a_bad_file(tmp_path, monkeypatch, capsys):
    """`--report` trains nothing: a JSON written before `ci95` existed gets its intervals
    from mean, s.e. and n; a missing or foreign file is a clear error naming the fix."""
    doc = dq.aggregate([_job(s, [0.5 + d, 0.9], [0.5, 0.9], [0.5, 0.9], [100, 1000],
                             [100, 1000]) for s, d in enumerate((0.02, 0.01, 0.03))])
    del doc["datasets"]["toy"]["paired"]["bdistil-resched"]["int8"]["ci95"]
    saved = tmp_path / "old.json"
    saved.write_text(dq.json.dumps(doc))
    monkeypatch.setattr(dq, "train_teachers", lambda *a: pytest.fail("--report trained"))
    monkeypatch.setattr(dq.sys, "argv", ["distill_quality.py", "--report", str(saved)])
    assert dq.main() == 0
    out = capsys.readouterr().out
    assert "toy | 1 | 3 | +2.00 ± 0.58 | [-0.48, +4.48] | level" in out
    assert "paired >= 0 or within 1 s.e. | met" in out
    monkeypatch.setattr(dq.sys, "argv", ["distill_quality.py", "--report", str(saved),
                                         "--against", str(saved)])
    assert dq.main() == 0
    assert "toy | 1 | 3 | 0.0 ± 0.0" in capsys.readouterr().out  # a run against itself
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "other.json").write_text('{"datasets": {"fsdd": {"jobs": 19}}}')  # seed_choice
    for bad, why in ((tmp_path / "none.json", "No such file"),
                     (tmp_path / "list.json", "no \"datasets\" object"),
                     (tmp_path / "other.json", "dataset 'fsdd' has no 'teacher', 'methods'")):
        monkeypatch.setattr(dq.sys, "argv", ["distill_quality.py", "--report", str(bad)])
        with pytest.raises(SystemExit, match=why) as err:
            dq.main()
        assert "give a JSON that --json wrote" in str(err.value)
    del doc["datasets"]["toy"]["targets"]  # as the JSON of before 2026-12-07 lacks it
    saved.write_text(dq.json.dumps(doc))
    monkeypatch.setattr(dq.sys, "argv", ["distill_quality.py", "--report", str(saved)])
    with pytest.raises(SystemExit, match="has no 'targets'; this is an older version's JSON"):
        dq.main()
