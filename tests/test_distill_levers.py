"""The issue-#12 levers without training: augmented views, cosine edge, KD potential, the
corrective step's guard, cost bands. Hand-computed expectations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.boards import load_board
from pipeline.distill import game
from pipeline.distill.augment import views
from pipeline.distill.corrective import prefix_accuracies, refit_alphas
from pipeline.distill.cost import cost
from pipeline.distill.findwl import band, find_wl_band, spread
from pipeline.distill.pool import Arch, Candidate

ETA = math.log(2.0)
R = np.array([[1.0, 0.0], [0.0, 0.0]])  # K+ - K- = [[9/35, -3/35], [-3/35, -3/35]]


@pytest.mark.parametrize("kind,shape", [("sequence", (20, 3)), ("image", (8, 8, 1)),
                                        ("vector", (5,))])
def test_views_keep_shapes_and_are_seeded(kind, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, *shape)).astype(np.float32)
    if kind == "sequence":  # smooth signals: a shift of white noise would be a new signal
        t = np.arange(shape[0])[None, :, None]
        x = np.sin(0.2 * t + rng.uniform(0, 6, size=(7, 1, shape[1]))).astype(np.float32)
    v = views(x, kind, 3, seed=5)
    assert v.shape == (21, *shape) and v.dtype == x.dtype
    np.testing.assert_array_equal(v, views(x, kind, 3, seed=5))  # deterministic
    assert not np.array_equal(v, views(x, kind, 3, seed=6))
    assert not np.allclose(v[:7], x)  # perturbed ...
    if kind != "image":  # ... but near the originals (images: the shift test below)
        assert np.abs(v[:7] - x).mean() < 0.5 * np.abs(x).mean()
    assert views(x, kind, 0, seed=5).shape == (0, *shape)


def test_sequence_view_is_a_small_shift_of_the_example():
    # a ramp shifted/scaled in time stays a monotone ramp (label-preserving, not scrambled)
    x = np.tile(np.linspace(-1, 1, 50, dtype=np.float32)[None, :, None], (4, 1, 2))
    v = views(x, "sequence", 2, seed=0)  # noise sigma 0.1 against a ramp spanning 2
    assert np.all(v[:, -5:].mean(axis=(1, 2)) > 0.5) and np.all(v[:, :5].mean(axis=(1, 2)) < -0.5)


def test_image_view_is_a_shift_by_at_most_two_pixels():
    x = np.zeros((1, 8, 8, 1), np.float32)
    x[0, 4, 4, 0] = 10.0
    v = views(x, "image", 5, seed=1)
    for img in v:
        r, c = np.unravel_index(np.argmax(img[..., 0]), (8, 8))
        assert abs(r - 4) <= 2 and abs(c - 4) <= 2


def test_cosine_edge_by_hand_and_scale_free():
    # centred K+ - K-: row 0 -> [6/35, -6/35], row 1 -> [0, 0]; f = [[1, 0], [0, 1]] centred
    # -> [[.5, -.5], [-.5, .5]]: cosine = (6/35) / ((6/35) sqrt 2 * 1) = 1/sqrt 2
    adv = game.adversary(R, ETA)
    f = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert game.cosine_edge(adv, f) == pytest.approx(1 / math.sqrt(2))
    assert game.cosine_edge(adv, 0.01 * f) == pytest.approx(1 / math.sqrt(2))
    assert game.cosine_edge(adv, -f) == pytest.approx(-1 / math.sqrt(2))
    # the normalised edge of the same direction shrinks with f's scale
    assert game.edge(adv, 0.01 * f, 1.0) == pytest.approx(0.01 * game.edge(adv, f, 1.0))


def test_kd_potential_by_hand():
    g = np.array([[0.0, 0.0]])
    assert game.kd_potential(g, g, np.array([0]), 1.0, 0.5) == pytest.approx(0.5 * math.log(2))
    g = np.array([[math.log(3.0), 0.0]])  # p = (3/4, 1/4); F = 0 -> q = (1/2, 1/2)
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert game.kd_potential(g, np.zeros_like(g), np.array([0]), 1.0, 0.0) == pytest.approx(kl)


G3 = np.array([[-1.0, 1.0]] * 3)  # the teacher says class 1 for all three, labels agree
LAB3 = np.array([1, 1, 1])


def test_fresh_stage_beta_grid_by_hand():
    """beta runs from beta_min to 1 in steps of 0.05, both ends included."""
    from pipeline.distill.bdistil import betas

    assert betas(0.3) == (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
                          0.9, 0.95, 1.0)
    assert betas(0.5) == (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
    assert betas(1.0) == (1.0,)


def test_corrective_step_never_lowers_a_prefix():
    # all three examples are class 1. Prefix 2's margin on example 0 is
    # 2 (0.02 alpha_1 - 0.1 alpha_2) = 0.12 - 0.2 alpha_2 at alpha_1 = B = 3: right while
    # alpha_2 < 0.6. Examples 1 and 2 gain from a larger alpha_2, so the anytime potential's
    # optimum raises alpha_2 past 0.6 and prefix 2 would drop from 3/3 to 2/3: refused.
    y1 = np.array([[-0.02, 0.02], [-0.2, 0.2], [-0.2, 0.2]])
    y2 = np.array([[0.1, -0.1], [-1.0, 1.0], [-1.0, 1.0]])
    start = [3.0, 0.15]
    assert prefix_accuracies([y1, y2], start, LAB3) == [1.0, 1.0]
    fix = refit_alphas([y1, y2], start, G3, LAB3, 3.0, 1.0, 0.5)
    assert fix.objective_after < fix.objective_before  # a better objective exists ...
    assert fix.val_accuracy_after == [1.0, pytest.approx(2 / 3)]  # ... at prefix 2's cost
    assert not fix.accepted and fix.alphas == start  # so the step keeps the old weights


def test_corrective_step_rescales_when_no_prefix_loses():
    y1 = G3 / 3.0  # the teacher's direction at a third of its size, alpha too small
    y2 = np.array([[-0.1, 0.1], [-0.1, 0.1], [-0.1, 0.1]])
    fix = refit_alphas([y1, y2], [0.3, 0.3], G3, LAB3, 3.0, 1.0, 0.0)
    assert fix.accepted and fix.objective_after < fix.objective_before
    assert fix.alphas[0] > 0.3
    before = prefix_accuracies([y1, y2], [0.3, 0.3], LAB3)
    after = prefix_accuracies([y1, y2], fix.alphas, LAB3)
    assert all(a >= b for a, b in zip(after, before, strict=True))


def test_bands_and_spread_by_hand():
    assert band(1, 100.0, 2.0) == (100.0, 200.0)
    assert band(3, 100.0, 2.0) == (400.0, 800.0)
    assert spread(list(range(10)), 3) == [0, 4, 9]  # first, middle (round 4.5 -> 4), last
    assert spread([1, 2], 3) == [1, 2]
    assert spread([1, 2, 3], 1) == [1]


def test_band_search_trains_spread_candidates_and_keeps_the_best_gain():
    board = load_board("qemu-m4")
    shape = (8, 8, 1)
    cands = sorted((Candidate(Arch("image", (w,)), shape, 10) for w in (2, 3, 4, 6, 8, 12)),
                   key=lambda c: cost(c, board).cycles)
    cyc = [cost(c, board).cycles for c in cands]
    lo, hi = cyc[1], cyc[4] + 1  # the band holds candidates 1..4
    trained = []
    gains = {cands[1].name: 0.05, cands[4].name: 0.01}

    def train_all(pairs):
        trained.extend((c.name, rep) for c, rep in pairs)
        return [(0.5, (None, 1.0, 1, gains[c.name] + 0.001 * rep)) for c, rep in pairs]

    best = find_wl_band(cands, board, lo, hi, train_all, lambda e, r: r[3] >= 0.005,
                        lambda e, r: r[3], per_band=2, seeds=lambda rec: 2)
    assert trained == [(cands[1].name, 0), (cands[1].name, 1),
                       (cands[4].name, 0), (cands[4].name, 1)]
    assert best is not None and best.candidate == cands[1]
    assert best.result[3] == pytest.approx(0.051)
    none = find_wl_band(cands, board, lo, hi, train_all, lambda e, r: False, lambda e, r: 0.0,
                        per_band=2, seeds=lambda rec: 1)
    assert none is None


def _joint_case(seed: int = 0):
    """Two connected vector students (zero output layers: F_k = 0 before the step) on a
    separable 3-class problem whose teacher logits are the class one-hots."""
    from pipeline.distill.pool import FeatureRef, build_student

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 4)) * 3

    def split(n):
        y = rng.integers(0, 3, n)
        x = (centres[y] + rng.normal(size=(n, 4))).astype(np.float32)
        return x, (np.eye(3)[y] * 3 - 1).astype(np.float64), y

    s1 = build_student(Candidate(Arch("vector", (6,)), (4,), 3, 1))
    s2 = build_student(Candidate(Arch("vector", (6,)), (4,), 3, 2, (FeatureRef(1, 1, (6,)),)))
    return [s1, s2], [[], [1]], split(256), split(128)


@pytest.mark.slow
def test_joint_fine_tune_keeps_every_prefix_and_restores_on_failure():
    from pipeline.distill.corrective import finetune_jointly

    models, reads, (xf, gf, yf), (xv, gv, yv) = _joint_case()
    before = [w.copy() for m in models for w in m.get_weights()]
    # a learning rate of 50 wrecks the students: no epoch passes the guard, nothing changes
    bad = finetune_jointly(models, reads, [1.5, 1.5], xf, gf, yf, xv, gv, yv, 0.6, 0.1, 0.01,
                           3, 50.0, 64, 3, seed=0)
    after = [w for m in models for w in m.get_weights()]
    assert not bad.accepted and bad.best_epoch == 0
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert all(u >= v for u, v in zip(bad.val_accuracy_after, bad.val_accuracy_before,
                                      strict=True))
    # a sane one learns (F_k = 0 scores 1/3 at best before) and no prefix loses on val
    good = finetune_jointly(models, reads, [1.5, 1.5], xf, gf, yf, xv, gv, yv, 0.6, 0.1,
                            0.01, 15, 1e-2, 64, 3, seed=0)
    assert good.accepted and good.best_epoch >= 1
    assert good.objective_after < good.objective_before
    assert all(u >= v for u, v in zip(good.val_accuracy_after, good.val_accuracy_before,
                                      strict=True))
    assert good.val_accuracy_after[-1] > 0.9
    # the students themselves were trained in place: their own outputs give those accuracies
    y1, f1 = models[0].predict(xv, verbose=0)
    y2, _ = models[1].predict([xv, f1], verbose=0)
    assert prefix_accuracies([y1, y2], [1.5, 1.5], yv) == good.val_accuracy_after


def test_line_search_on_labels_by_hand():
    """One val example where the teacher says class 0 and the label is 1; the student says 1.
    On the KD potential (T 1, ce_weight 0.1) adding it only hurts: d Phi / d alpha at 0 is
    0.9 (p0 - p1) - 0.1 = 0.9 tanh(1) - 0.1 > 0, so alpha 0 and no gain. On the labels the
    cross-entropy falls all the way to alpha = B = 3: gain (log 2 - log(1 + e^-6)) / log 2."""
    import dataclasses
    from types import SimpleNamespace

    from pipeline.distill.bdistil import DistillConfig, _alpha_and_gain

    p = SimpleNamespace(g={"val": np.array([[1.0, -1.0]])}, y={"val": np.array([1])})
    f, y = np.zeros((1, 2)), np.array([[-1.0, 1.0]])
    cfg = DistillConfig(temperature=1.0, ce_weight=0.1, bound=3.0)
    assert _alpha_and_gain(p, cfg, f, y) == (0.0, 1.0, 0.0)
    alpha, beta, gain = _alpha_and_gain(p, dataclasses.replace(cfg, gain_on="labels"), f, y)
    assert (alpha, beta) == (3.0, 1.0)
    assert gain == pytest.approx((math.log(2) - math.log1p(math.exp(-6))) / math.log(2))


def test_sign_test_of_a_stage_by_hand():
    """flips counts what a change fixes and breaks; significant asks b - c >= max(1, z
    sqrt(b + c))."""
    from pipeline.distill.bdistil import flips, significant

    labels = np.array([0, 1, 2, 0, 1])
    before = np.array([0, 0, 0, 0, 1])  # right: 0, 3, 4
    after = np.array([0, 1, 2, 1, 1])  # fixes 1 and 2, breaks 3
    assert flips(before, after, labels) == (2, 1)
    assert not significant(2, 1, 1.0)  # 1 < sqrt 3
    assert significant(3, 0, 1.0) and not significant(3, 0, 2.0)  # sqrt 3 = 1.73; 3.46
    assert not significant(0, 0, 0.5)  # no change is no evidence
    assert significant(9, 4, 1.0) and not significant(8, 4, 1.2)  # 5 >= 3.6; 4 < 4.16


def test_the_tolerant_monotone_test_by_hand():
    """tolerated asks broken - fixed <= z sqrt(fixed + broken); z = 0 is the strict test."""
    from pipeline.distill.bdistil import tolerated

    assert tolerated(0, 0, 0.0) and tolerated(2, 1, 0.0)  # no loss passes the strict test
    assert not tolerated(0, 1, 0.0) and not tolerated(2, 3, 0.0)  # any net loss fails it
    assert tolerated(0, 1, 1.0) and tolerated(1, 2, 1.0)  # 1 <= 1; 1 <= 1.73
    assert not tolerated(1, 4, 1.0) and tolerated(1, 4, 1.5)  # 3 > 2.24; 3 <= 3.35
    assert tolerated(2, 4, 1.0) and not tolerated(0, 3, 1.0)  # 2 <= 2.45; 3 > 1.73


@pytest.mark.parametrize("bad", [{"fresh_reads": "sideways"}, {"beta_min": 0.0},
                                 {"beta_min": 1.5}, {"edge": "sharp"},
                                 {"gain_on": "teacher"}, {"min_z": -1.0},
                                 {"small_seeds": 0}, {"monotone_z": -0.5}])
def test_bad_distill_options_are_refused_before_any_training(bad, tmp_path):
    """Each option is checked at the start of run_bdistil, with the fix in the message
    (the problem is never looked at, so None stands in for it)."""
    import dataclasses

    from pipeline.distill.bdistil import DistillConfig, run_bdistil
    from pipeline.errors import PedError

    cfg = dataclasses.replace(DistillConfig(), **bad)
    with pytest.raises(PedError) as err:
        run_bdistil(None, 1_000, cfg, tmp_path)
    assert str(next(iter(bad.values()))) in err.value.problem and err.value.fix
    assert not any(tmp_path.iterdir())
