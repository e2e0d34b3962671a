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
- NO-RESCHED: for each cumulative MAC count of B-DISTIL's first k stages, one student whose
  MACs are closest in log-ratio among the two-knob family (first width a, later widths b,
  a <= b <= 4a, minimum depth and one block deeper; `matched_arch`): one knob (the width-scaled
  family) missed the target by -40% to +24%, two knobs land within +-10% on every dataset of
  the registry (each row records target and actual MACs; the benchmark shows the mismatch).
With `save_dir`, every baseline student is saved as `stage_NN.keras` beside a minimal
`ensemble.json` (unconnected stages), so `ped quantize`'s converter can turn them into int8
and the benchmark can score them under TFLM like B-DISTIL's stages.
"""

from __future__ import annotations

import numpy as np

from pipeline.boards import Board
from pipeline.data.prepare import SPLITS
from pipeline.distill.bdistil import FIT, DistillConfig, Problem
from pipeline.distill.cost import cost
from pipeline.distill.objective import pack_targets
from pipeline.distill.pool import Arch, Candidate, min_blocks, width_scaled
from pipeline.distill.solver import FitJob, fit_all, predict
from pipeline.engine import INPROCESS, Engine

WIDTHS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 128)
FLOOR = 0.5


def kd_job(p: Problem, arch: Arch, cfg: DistillConfig, seed: int) -> FitJob:
    """Plain KD of one architecture (residual_kd on an empty ensemble, uniform weights), on
    the same fit split as B-DISTIL (train + teacher-labelled views when the config has
    them)."""
    zero = {s: np.zeros_like(p.g[s]) for s in (FIT, "val")}
    t = {s: pack_targets(p.g[s], zero[s], p.y[s], p.n_classes) for s in (FIT, "val")}
    loss = ("residual_kd", p.n_classes, cfg.bound, cfg.temperature, cfg.ce_weight, cfg.mu,
            cfg.eta)
    return FitJob(Candidate(arch, p.ds.input_shape, p.n_classes), loss, [p.x[FIT]], t[FIT],
                  None, [p.x["val"]], t["val"], cfg.solver, seed)


def kd_students(p: Problem, jobs: list[FitJob], engine: Engine = INPROCESS):
    """Train every job alone (in parallel when the engine is); [(tanh outputs per split,
    the Keras model)]."""
    return [({s: predict(m, [p.x[s]])[0] for s in SPLITS}, m)
            for m, _ in fit_all(jobs, engine)]


def train_baselines(p: Problem, archs: list[Arch], cum_macs: list[int], cfg: DistillConfig,
                    board: Board, save_dir=None, engine: Engine = INPROCESS) -> dict:
    """RESCHED over `archs` and NO-RESCHED at `cum_macs`, their 2K students trained in one
    `fit_all` (in parallel when the engine is); metrics.json's baseline keys."""
    matched = [matched_arch(p, m, board) for m in cum_macs]
    jobs = ([kd_job(p, a, cfg, cfg.seed * 7919 + 5003 + k) for k, a in enumerate(archs)]
            + [kd_job(p, a, cfg, cfg.seed * 7919 + 6007 + k)
               for k, (a, _) in enumerate(matched, start=1)])
    trained = kd_students(p, jobs, engine)
    k = len(archs)
    sub = (lambda name: save_dir / name) if save_dir is not None else (lambda name: None)
    return resched(p, archs, trained[:k], cfg, board, sub("resched")) | {
        "no_resched": no_resched(p, cum_macs, matched, trained[k:], cfg, sub("no_resched"))}


def save_students(save_dir, models: list, macs: list[int], bound: float) -> None:
    """`stage_NN.keras` + a minimal `ensemble.json` of unconnected stages (for quantizing)."""
    from pipeline.distill import ensemble as io

    save_dir.mkdir(parents=True, exist_ok=True)
    stages = []
    for k, (m, c) in enumerate(zip(models, macs, strict=True), start=1):
        m.save(save_dir / f"stage_{k:02d}.keras")
        stages.append({"stage": k, "inputs": [{"role": "x"}], "outputs": [{"role": "logits"}],
                       "agg_weight": bound, "cost": {"macs": int(c), "cycles": 0}})
    io.write_json(save_dir / "ensemble.json", {"stages": stages})


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


def resched(p: Problem, archs: list[Arch], trained: list, cfg: DistillConfig, board: Board,
            save_dir=None) -> dict:
    """Rows per prefix k: floor-weighted and uniform test accuracy of k independent students
    (`trained`: kd_students of `archs`)."""
    macs = [cost(Candidate(a, p.ds.input_shape, p.n_classes), board).macs for a in archs]
    outs = [o for o, _ in trained]
    if save_dir is not None:
        save_students(save_dir, [m for _, m in trained], macs, cfg.bound)
    rows, uniform = [], []
    for k in range(1, len(archs) + 1):
        scaled = {s: [cfg.bound * o[s] for o in outs[:k]] for s in SPLITS}
        a = floor_weights(scaled["val"], p.y["val"])
        f = sum(a_t * o for a_t, o in zip(a, scaled["test"], strict=True))
        cum = int(sum(macs[:k]))
        rows.append({"stage": k, "cumulative_macs": cum, "candidate": archs[k - 1].name,
                     "test_accuracy": p.accuracy(f, "test"),
                     "weights": [round(float(v), 4) for v in a]})
        fu = sum(scaled["test"]) / k
        uniform.append({"stage": k, "cumulative_macs": cum,
                        "test_accuracy": p.accuracy(fu, "test")})
    return {"resched": rows, "resched_uniform": uniform}


def matched_family(kind: str, shape: tuple[int, ...]) -> list[Arch]:
    """Two knobs: first width a, later widths b (a <= b <= 4a); min depth and one deeper."""
    if kind == "vector":
        return [width_scaled(kind, shape, w) for w in WIDTHS]
    d = min_blocks(kind, shape)
    out = []
    for a in WIDTHS[:16]:
        for b in WIDTHS:
            if a <= b <= 4 * a:
                body = (a, *([b] * (d - 1)))
                out += [Arch(kind, body), Arch(kind, (*body, b))]
    return out


def matched_arch(p: Problem, target_macs: int, board: Board) -> tuple[Arch, int]:
    """The `matched_family` architecture whose MACs are closest (log ratio) to target_macs
    (ties: the deeper one)."""
    kind, shape = p.ds.meta["kind"], p.ds.input_shape
    best = None
    for a in matched_family(kind, shape):
        m = cost(Candidate(a, shape, p.n_classes), board).macs
        score = (round(abs(float(np.log(m / target_macs))), 3), -len(a.widths))
        if best is None or score < best[0]:
            best = (score, a, m)
    assert best is not None
    return best[1], best[2]


def no_resched(p: Problem, cum_macs: list[int], matched: list[tuple[Arch, int]], trained: list,
               cfg: DistillConfig, save_dir=None) -> list[dict]:
    """Rows per stage k: one student (`trained`: kd_students of `matched`, the matched_arch
    of each cumulative MAC count) alone."""
    rows, models, macs = [], [], []
    for k, (target, (arch, m), (out, model)) in enumerate(
            zip(cum_macs, matched, trained, strict=True), start=1):
        models.append(model)
        macs.append(m)
        f = cfg.bound * out["test"]
        rows.append({"stage": k, "cumulative_macs": m, "target_macs": int(target),
                     "candidate": arch.name, "test_accuracy": p.accuracy(f, "test")})
    if save_dir is not None:
        save_students(save_dir, models, macs, cfg.bound)
    return rows
