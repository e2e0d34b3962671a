"""B-DISTIL's arithmetic without training: adversary, edge, pool wiring, cost, budget."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from pipeline.boards import load_board
from pipeline.distill import game
from pipeline.distill.baselines import floor_weights
from pipeline.distill.cost import CostRecord, cost, refusal
from pipeline.distill.findwl import find_wl
from pipeline.distill.objective import line_search_alpha
from pipeline.distill.pool import Arch, Candidate, FeatureRef, build_student, feature_shape

ETA = math.log(2.0)  # exp(eta * 1) = 2: hand-computable weights
R = np.array([[1.0, 0.0], [0.0, 0.0]])
# exp(+eta r) = [[2, 1], [1, 1]] / 5;  exp(-eta r) = [[1/2, 1], [1, 1]] / 3.5
KP = np.array([[0.4, 0.2], [0.2, 0.2]])
KM = np.array([[1 / 7, 2 / 7], [2 / 7, 2 / 7]])


def test_adversary_matches_hand_computed_weights():
    adv = game.adversary(R, ETA)
    np.testing.assert_allclose(adv.kp, KP, atol=1e-12)
    np.testing.assert_allclose(adv.km, KM, atol=1e-12)
    # example mass (K+ + K-)/2 summed over classes, times N = 2
    np.testing.assert_allclose(adv.example_weights(), [0.6 + 3 / 7, 0.4 + 4 / 7], atol=1e-12)


def test_adversary_survives_huge_residuals():
    adv = game.adversary(np.array([[1e4, -1e4, 0.0]]), 1.0)
    assert np.all(np.isfinite(adv.log_kp)) and np.all(np.isfinite(adv.log_km))
    np.testing.assert_allclose(adv.kp, [[1.0, 0.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(adv.km, [[0.0, 1.0, 0.0]], atol=1e-12)


def test_multiplicative_weights_step_by_hand():
    # f = [[1, -1], [0, 0]] (already centred): K+ * 2^-f = [[0.2, 0.4], [0.2, 0.2]] (sums to 1)
    # and K- * 2^f = [[2/7, 1/7], [2/7, 2/7]] (sums to 1)
    f = np.array([[1.0, -1.0], [0.0, 0.0]])
    adv = game.mw_update(game.adversary(R, ETA), f, ETA)
    np.testing.assert_allclose(adv.kp, [[0.2, 0.4], [0.2, 0.2]], atol=1e-12)
    np.testing.assert_allclose(adv.km, [[2 / 7, 1 / 7], [2 / 7, 2 / 7]], atol=1e-12)


def test_multiplicative_update_ignores_per_example_offsets():
    f = np.array([[1.0, -1.0], [0.0, 0.0]])
    a = game.mw_update(game.adversary(R, ETA), f, ETA)
    b = game.mw_update(game.adversary(R, ETA), f + np.array([[5.0], [-3.0]]), ETA)
    np.testing.assert_allclose(a.kp, b.kp, atol=1e-12)


def test_edge_by_hand():
    # K+ - K- = [[9/35, -3/35], [-3/35, -3/35]]; f = B * [[1, -1], [0, 0]], B = 2
    # raw edge = (9/35 + 3/35) = 12/35; max raw edge = sum |K+ - K-| = 18/35; normalised 2/3
    adv = game.adversary(R, ETA)
    f = 2.0 * np.array([[1.0, -1.0], [0.0, 0.0]])
    assert game.raw_edge(adv, f, 2.0) == pytest.approx(12 / 35)
    assert game.edge(adv, f, 2.0) == pytest.approx(2 / 3)
    assert game.edge(adv, -f, 2.0) == pytest.approx(-2 / 3)


def test_standardiser_and_residual_by_hand():
    std = game.Standardiser.fit(np.array([[3.0, 1.0], [0.0, 2.0]]))  # centred: +-1 -> sigma 1
    assert std.sigma == pytest.approx(1.0)
    g = std(np.array([[5.0, 1.0]]))  # centred [2, -2]
    np.testing.assert_allclose(g, [[2.0, -2.0]])
    np.testing.assert_allclose(game.residuals(g, np.array([[10.0, 9.0]])), [[1.5, -1.5]])
    assert game.residual_norm(g, np.zeros_like(g)) == pytest.approx(1.0)


def test_line_search_finds_the_scale():
    y = np.array([[0.5, -0.5], [-0.2, 0.2]])
    assert line_search_alpha(0.45 * 3.0 * y, y, 3.0, 1.0) == pytest.approx(0.45 * 3.0)


def test_floor_weights_keep_every_student():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    good = 4.0 * np.eye(3)[y]
    noise = rng.normal(0, 3.0, (300, 3))
    a = floor_weights([good, noise], y)
    assert a[0] > a[1]  # the fit still prefers the informative student
    assert a[1] >= 0.5 * a.sum() / 2 - 1e-9  # but the floor keeps the other


@pytest.mark.parametrize("kind,shape", [("image", (8, 8, 1)), ("sequence", (100, 6)),
                                        ("vector", (20,))])
def test_connection_wiring_shapes(kind, shape):
    a1 = Arch(kind, (2,) if kind != "sequence" else (2, 4, 4))
    first = Candidate(a1, shape, 5, stage=1)
    m1 = build_student(first)
    assert [tuple(t.shape[1:]) for t in m1.outputs] == [(5,), feature_shape(first)]
    ref = FeatureRef(1, 1, feature_shape(first))
    a2 = Arch(kind, (3,) if kind != "sequence" else (3, 6, 6))
    second = Candidate(a2, shape, 5, stage=2, reads=(ref,))
    m2 = build_student(second)
    assert [t.name for t in m2.inputs] == ["x", "s01_f0"]
    assert tuple(m2.inputs[1].shape[1:]) == ref.shape
    assert tuple(m2.outputs[1].shape[1:]) == feature_shape(second)
    x = np.zeros((2, *shape), np.float32)
    _, feat = m1.predict(x, verbose=0)
    logits, feat2 = m2.predict([x, feat], verbose=0)
    assert logits.shape == (2, 5) and np.all(np.abs(logits) <= 1.0)
    assert feat2.min() >= 0.0 and feat2.max() <= 6.0  # ReLU6: the fixed int8 range


def test_cost_of_a_tiny_student_by_hand(tmp_path, monkeypatch):
    import pipeline.distill.cost as cost_mod

    monkeypatch.setattr(cost_mod, "BOARDS_DIR", tmp_path)  # no profile.json: the estimate
    # 8x8x1 -> conv 3x3 stride 2, 2 channels -> 4x4x2: 16 * 9 * 2 = 288 MACs;
    # flatten 32 -> dense 10: 320 MACs. Params: 18 w + 2 b, 320 w + 10 b -> 338 + 48 bytes.
    c = Candidate(Arch("image", (2,)), (8, 8, 1), 10)
    rec = cost(c, "qemu-m4")
    assert rec.macs == 608
    assert rec.param_bytes == 338 + 4 * 12
    assert rec.cycles == 6 * 608 + 4 * (32 + 10) + 2000 * 2 and rec.cycles_source == "estimate"


def test_cost_uses_a_measured_profile(tmp_path, monkeypatch):
    import pipeline.distill.cost as cost_mod

    board = tmp_path / "qemu-m4"
    board.mkdir()
    c = Candidate(Arch("image", (2,)), (8, 8, 1), 10)
    (board / "profile.json").write_text(json.dumps({"candidates": {c.name: 12345},
                                                    "cycles_per_mac": 1.0}))
    monkeypatch.setattr(cost_mod, "BOARDS_DIR", tmp_path)
    assert cost(c, load_board("qemu-m4")).cycles == 12345
    other = Candidate(Arch("image", (3,)), (8, 8, 1), 10)
    rec = cost(other, load_board("qemu-m4"))
    assert rec.cycles_source == "model"
    assert rec.cycles == rec.macs + 4 * (48 + 10) + 2000 * 2


def test_over_budget_candidate_is_refused_and_never_trained():
    board = load_board("qemu-m4")
    tight = dataclasses.replace(board, budget=dataclasses.replace(
        board.budget, student_flash_bytes=1000))
    small = Candidate(Arch("image", (2,)), (8, 8, 1), 10)
    big = Candidate(Arch("image", (32, 64)), (8, 8, 1), 10)
    trained = []

    def train(c):
        trained.append(c.name)
        return 0.0, None  # never a weak learner

    log = []
    assert find_wl([big, small], tight, train, gamma=0.1, log=log.append) is None
    assert trained == [small.name]
    assert log[0].refused is not None and "flash" in log[0].refused
    assert refusal(CostRecord(10, 500, 20000, 0, 1, 0, "estimate"), board.budget) is not None
    assert refusal(CostRecord(10, 500, 2000, 0, 1, 0, "estimate"), board.budget) is None


def test_cli_refuses_bad_options_before_training(tmp_path, capsys):
    from pipeline.cli import main

    assert main(["distill", "-d", "digits", "--target", "nope",
                 "--build-dir", str(tmp_path)]) == 2
    assert main(["distill", "-d", "digits", "--stages", "0",
                 "--build-dir", str(tmp_path)]) == 2
    assert not (tmp_path / "digits").exists()  # nothing ran
