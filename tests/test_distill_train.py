"""B-DISTIL rounds on digits with a quick teacher (logistic regression) and tiny epochs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipeline.data.prepare import SPLITS, load_or_prepare
from pipeline.data.recipe import load_recipe
from pipeline.distill.bdistil import DistillConfig, Problem, run_bdistil
from pipeline.distill.ensemble import save_stage_files
from pipeline.distill.solver import SolverConfig

pytestmark = pytest.mark.slow
# the first implementation's mechanics (every issue-#12 lever off; the last test turns them on)
CFG = DistillConfig(stages=2, gamma=-1.0, solver=SolverConfig(epochs=6, batch_size=128),
                    views=0, edge="normalised", line_search=False, corrective=False, bands=0.0,
                    joint_epochs=0)
TEACHER_MACS = 400_000  # pool up to 100k MACs


@pytest.fixture(scope="module")
def problem() -> Problem:
    from sklearn.linear_model import LogisticRegression

    ds, _ = load_or_prepare(load_recipe("digits"))
    flat = {s: ds.x[s].reshape(len(ds.x[s]), -1) for s in SPLITS}
    teacher = LogisticRegression(max_iter=500).fit(flat["train"], ds.y["train"])
    return Problem.build(ds, {s: teacher.decision_function(flat[s]) for s in SPLITS})


@pytest.fixture(scope="module")
def first_run(problem, tmp_path_factory):
    out = tmp_path_factory.mktemp("run_a")
    return out, run_bdistil(problem, TEACHER_MACS, CFG, out, log=lambda m: None,
                            resume_key="k")


def test_same_seed_same_students(problem, first_run, tmp_path):
    _, a = first_run
    b = run_bdistil(problem, TEACHER_MACS, CFG, tmp_path, log=lambda m: None)
    assert [s.record["candidate"] for s in a.stages] == [s.record["candidate"] for s in b.stages]
    assert [s.record["edge"] for s in a.stages] == [s.record["edge"] for s in b.stages]
    for sa, sb in zip(a.stages, b.stages, strict=True):
        for wa, wb in zip(sa.model.get_weights(), sb.model.get_weights(), strict=True):
            np.testing.assert_array_equal(wa, wb)


def test_resume_then_residual_falls_stage_by_stage(problem, first_run):
    out, a = first_run
    saved = (out / "rounds" / "stage_01.keras").stat().st_mtime_ns
    logs: list[str] = []
    cfg3 = dataclasses.replace(CFG, stages=3)
    c = run_bdistil(problem, TEACHER_MACS, cfg3, out, log=logs.append, resume_key="k")
    assert sum("resumed" in m for m in logs) == 2
    assert (out / "rounds" / "stage_01.keras").stat().st_mtime_ns == saved
    assert [s.record["edge"] for s in c.stages[:2]] == [s.record["edge"] for s in a.stages]
    res = [s.record["train_residual"] for s in c.stages]  # mean |g - F| / mean |g|
    assert len(res) == 3 and res[0] < 1.0 and res[1] < res[0] and res[2] < res[1], res
    kl = [s.record["train_kl"] for s in c.stages]  # what residual_kd minimises
    assert kl[1] < kl[0] and kl[2] < kl[1], kl
    # F_3 on test equals the sum of the stages' scaled outputs
    f = sum(s.record["alpha"] * s.y["test"] for s in c.stages)
    np.testing.assert_allclose(f, c.f["test"])


def test_stage_files_follow_the_wiring(problem, first_run, tmp_path):
    import keras

    _, a = first_run
    reads = [[(r["from_stage"], r["from_output"]) for r in s.record["inputs"][1:]]
             for s in a.stages]
    assert reads == [[], [(1, 1)]]
    paths, outputs = save_stage_files(tmp_path, [s.model for s in a.stages], reads)
    assert [o[0]["role"] for o in outputs] == ["logits", "logits"]
    assert outputs[0][1]["name"] == "s01_f0" and len(outputs[1]) == 1  # last stage: logits
    m1, m2 = (keras.models.load_model(p) for p in paths)
    x = problem.ds.x["test"][:5]
    y1, feat = m1.predict(x, verbose=0)
    out = m2.predict([x, feat], verbose=0)
    y2 = out[0] if isinstance(out, list | tuple) else out
    np.testing.assert_allclose(y1, a.stages[0].y["test"][:5], atol=1e-5)
    np.testing.assert_allclose(y2, a.stages[1].y["test"][:5], atol=1e-5)


def test_game_objective_runs_with_bounded_alpha(problem, tmp_path):
    cfg = dataclasses.replace(CFG, stages=1, objective="game")
    r = run_bdistil(problem, TEACHER_MACS, cfg, tmp_path, log=lambda m: None)
    assert len(r.stages) == 1
    assert 0.0 <= r.stages[0].record["alpha"] <= 1.5 * cfg.bound


def test_joint_last_off_skips_the_joint_step_in_the_last_round_only(problem, tmp_path):
    """joint_last=False: the joint fine-tune runs after round 2 of 3, not after round 3."""
    cfg = dataclasses.replace(CFG, stages=3, joint_epochs=2, joint_last=False)
    logs: list[str] = []
    r = run_bdistil(problem, TEACHER_MACS, cfg, tmp_path, log=logs.append)
    assert len(r.stages) == 3
    assert any(m.startswith("round 2: joint fine-tune") for m in logs)
    assert not any(m.startswith("round 3: joint fine-tune") for m in logs)


def test_levers_are_deterministic_and_only_accept_val_gains(problem, tmp_path):
    """views (labelled by the quick teacher), cosine edge, line search, corrective, bands;
    run twice, in this process and with each band's candidates in Ray workers: the same
    students."""
    from sklearn.linear_model import LogisticRegression

    from pipeline.engine import INPROCESS, session

    ds = problem.ds
    flat = {s: ds.x[s].reshape(len(ds.x[s]), -1) for s in SPLITS}
    lr = LogisticRegression(max_iter=500).fit(flat["train"], ds.y["train"])
    logits = {s: lr.decision_function(flat[s]) for s in SPLITS}

    def teacher(x):
        return lr.decision_function(x.reshape(len(x), -1))

    cfg = dataclasses.replace(CFG, gamma=0.0, views=1, edge="cosine", line_search=True,
                              corrective=True, bands=2.0, per_band=2, joint_epochs=3)
    runs, logs = [], []
    p = Problem.build(ds, logits, teacher, cfg.views, cfg.seed)
    assert len(p.x["fit"]) == 2 * len(ds.x["train"])
    np.testing.assert_array_equal(p.y["fit"][len(ds.y["train"]):], ds.y["train"])
    runs.append(run_bdistil(p, TEACHER_MACS, cfg, tmp_path / "0", log=logs.append,
                            engine=INPROCESS))
    with session("ray") as ray_engine:
        assert ray_engine.parallel
        p = Problem.build(ds, logits, teacher, cfg.views, cfg.seed)
        runs.append(run_bdistil(p, TEACHER_MACS, cfg, tmp_path / "1", log=lambda m: None,
                                engine=ray_engine))
    a, b = runs
    assert [s.record["candidate"] for s in a.stages] == [s.record["candidate"] for s in b.stages]
    assert [s.record["alpha"] for s in a.stages] == [s.record["alpha"] for s in b.stages]
    np.testing.assert_array_equal(a.f["test"], b.f["test"])
    for s in a.stages:
        assert s.record["val_gain"] >= cfg.min_gain and 0 < s.record["alpha"] <= cfg.bound
    # round 2 trains every band candidate twice: on the residual and fresh (teacher alone,
    # reading no earlier map: fresh_reads' default)
    r2 = [m for m in logs if m.startswith("round 2: c2d")]
    assert any("(fresh, no connection" in m for m in r2) and any("(fresh" not in m for m in r2)
    assert a.stages[-1].record["fit_to"] in ("residual", "fresh-solo")
    # monotone: no accepted stage lowers the ensemble's val accuracy
    accs = [s.record["val_accuracy"] for s in a.stages]
    assert accs == sorted(accs)


def test_fresh_candidates_without_a_connection_are_wired_as_independent_students(problem,
                                                                                 tmp_path):
    """fresh_reads="both": from round 2 each band candidate also trains fresh reading nothing
    (RESCHED's independent student). Whichever variant wins, the stage's record, its model's
    inputs and the saved stage files agree on what it reads."""
    from pipeline.distill.bdistil import _variants

    cfg = dataclasses.replace(CFG, stages=3, gamma=0.0, line_search=True, bands=2.0,
                              per_band=1, fresh_reads="both")
    assert _variants(cfg, 1) == ("residual",)
    assert _variants(cfg, 2) == ("residual", "fresh", "fresh-solo")
    assert _variants(dataclasses.replace(cfg, fresh_reads="none"), 3) == ("residual",
                                                                          "fresh-solo")
    logs: list[str] = []
    r = run_bdistil(problem, TEACHER_MACS, cfg, tmp_path, log=logs.append)
    r2 = [m for m in logs if m.startswith("round 2: c2d")]
    n_solo = sum("(fresh, no connection" in m for m in r2)
    assert n_solo >= 1 and n_solo == sum("(fresh, beta" in m for m in r2)
    assert len(r2) == 3 * n_solo  # residual, fresh reading the map, fresh reading nothing
    for st in r.stages:
        reads = st.record["inputs"][1:]
        assert len(st.model.inputs) == 1 + len(reads)
        assert (st.record["fit_to"] == "fresh-solo") == (st.record["stage"] > 1 and not reads)
        assert ("+s0" in st.record["candidate"]) == bool(reads)
    (tmp_path / "files").mkdir()
    paths, _ = save_stage_files(tmp_path / "files", [st.model for st in r.stages],
                                [[(x["from_stage"], x["from_output"])
                                  for x in st.record["inputs"][1:]] for st in r.stages])
    assert len(paths) == len(r.stages)
