"""The baselines B-DISTIL is compared with, trained by the same solver and objective code.

Every baseline student is distilled on its own: residual_kd against an empty ensemble
(plain KD, T and ce_weight as B-DISTIL's), uniform example weights, no connections, output
B * tanh(u). Baselines are oracles for comparison, not deployable stages: they are not checked
against the board's per-student budget.

- RESCHED: one independent student per B-DISTIL stage, with that stage's architecture when the
  stage reads no feature map, else the width-scaled architecture closest to the stage's MACs
  (a connected stage's "mix" layer has no meaning alone), combined by weighted averaging.
  For each prefix k the weights are fit on val NLL with a floor:
  alpha_t = s * (rho / k + (1 - rho) softmax(theta)_t), rho = 0.5, so every
  student keeps at least half of an equal share (an unconstrained fit collapsed onto
  one or two students in the prototype). Uniform averaging is reported beside it as a check.
- NO-RESCHED: for each cumulative MAC count of B-DISTIL's first k stages, one student of the
  width-scaled family (pool.width_scaled) whose MACs are closest in log-ratio.
"""

from __future__ import annotations

import numpy as np

from pipeline.boards import Board
from pipeline.data.prepare import SPLITS
from pipeline.distill.bdistil import DistillConfig, Problem
from pipeline.distill.cost import cost
from pipeline.distill.objective import make_loss, pack_targets
from pipeline.distill.pool import Arch, Candidate, width_scaled
from pipeline.distill.solver import fit_candidate, predict

WIDTHS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 128)
FLOOR = 0.5


def kd_student(p: Problem, arch: Arch, cfg: DistillConfig, seed: int) -> dict[str, np.ndarray]:
    """Train one student alone; its tanh outputs per split."""
    c = Candidate(arch, p.ds.input_shape, p.n_classes)
    zero = {s: np.zeros_like(p.g[s]) for s in ("train", "val")}
    t = {s: pack_targets(p.g[s], zero[s], p.ds.y[s], p.n_classes) for s in ("train", "val")}
    loss = make_loss("residual_kd", p.n_classes, cfg.bound, cfg.temperature, cfg.ce_weight,
                     cfg.mu, cfg.eta)
    model, _ = fit_candidate(c, loss, [p.ds.x["train"]], t["train"], None, [p.ds.x["val"]],
                             t["val"], cfg.solver, seed)
    return {s: predict(model, [p.ds.x[s]])[0] for s in SPLITS}


def _nll(f: np.ndarray, y: np.ndarray) -> float:
    z = f - f.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def floor_weights(outs: list[np.ndarray], y: np.ndarray, rho: float = FLOOR) -> np.ndarray:
    """Weights alpha (k,) on the outputs, minimising NLL of sum alpha_t out_t, each
    alpha_t >= rho * sum(alpha) / k."""
    from scipy.optimize import minimize

    k = len(outs)

    def alphas(v: np.ndarray) -> np.ndarray:
        e = np.exp(v[1:] - v[1:].max())
        return np.exp(v[0]) * (rho / k + (1 - rho) * e / e.sum())

    def obj(v: np.ndarray) -> float:
        a = alphas(v)
        return _nll(sum(a_t * o for a_t, o in zip(a, outs, strict=True)), y)

    res = minimize(obj, np.zeros(k + 1), method="Nelder-Mead",
                   options={"maxiter": 400 * (k + 1), "xatol": 1e-4, "fatol": 1e-6})
    return alphas(res.x)


def resched(p: Problem, archs: list[Arch], cfg: DistillConfig, board: Board) -> dict:
    """Rows per prefix k: floor-weighted and uniform test accuracy of k independent students."""
    macs = [cost(Candidate(a, p.ds.input_shape, p.n_classes), board).macs for a in archs]
    outs = [kd_student(p, a, cfg, cfg.seed * 7919 + 5003 + k) for k, a in enumerate(archs)]
    rows, uniform = [], []
    for k in range(1, len(archs) + 1):
        scaled = {s: [cfg.bound * o[s] for o in outs[:k]] for s in SPLITS}
        a = floor_weights(scaled["val"], p.ds.y["val"])
        f = sum(a_t * o for a_t, o in zip(a, scaled["test"], strict=True))
        cum = int(sum(macs[:k]))
        rows.append({"stage": k, "cumulative_macs": cum, "candidate": archs[k - 1].name,
                     "test_accuracy": p.accuracy(f, "test"),
                     "weights": [round(float(v), 4) for v in a]})
        fu = sum(scaled["test"]) / k
        uniform.append({"stage": k, "cumulative_macs": cum,
                        "test_accuracy": p.accuracy(fu, "test")})
    return {"resched": rows, "resched_uniform": uniform}


def matched_arch(p: Problem, target_macs: int, board: Board) -> tuple[Arch, int]:
    """The width-scaled architecture whose MACs are closest (log ratio) to target_macs."""
    kind, shape = p.ds.meta["kind"], p.ds.input_shape
    best = None
    for w in WIDTHS:
        a = width_scaled(kind, shape, w)
        m = cost(Candidate(a, shape, p.n_classes), board).macs
        score = abs(np.log(m / target_macs))
        if best is None or score < best[0]:
            best = (score, a, m)
        if m > target_macs:
            break
    assert best is not None
    return best[1], best[2]


def no_resched(p: Problem, cum_macs: list[int], cfg: DistillConfig, board: Board) -> list[dict]:
    rows = []
    for k, target in enumerate(cum_macs, start=1):
        arch, m = matched_arch(p, target, board)
        out = kd_student(p, arch, cfg, cfg.seed * 7919 + 6007 + k)
        f = cfg.bound * out["test"]
        rows.append({"stage": k, "cumulative_macs": m, "target_macs": int(target),
                     "candidate": arch.name, "test_accuracy": p.accuracy(f, "test")})
    return rows
