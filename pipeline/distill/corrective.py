"""The corrective step: refit every stage's weight alpha after a round, never hurting a prefix.

After round t the ensemble's prefixes are F_k = sum_{j<=k} alpha_j y_j, k = 1..t (y_j the
frozen tanh outputs of stage j). The step minimises the anytime objective on val,
sum_{k<=t} Phi(F_k) (Phi = game.kd_potential: what residual_kd minimises), over
alpha in [B/20, B]^t by coordinate descent on a grid of B/20 (no stage drops to 0: it would
still cost its cycles on the device), and keeps the result only if **no
prefix's val accuracy drops** (ties allowed); otherwise the previous alphas stay. Only weights
move: the students, their files and their int8 conversion are unchanged, so the step costs no
training and no device resources. Choice beyond the paper (which freezes alpha_t once chosen);
GrowNet's "fully corrective step" refits all stages, here restricted to their weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.distill.game import kd_potential

GRID_STEPS = 20
SWEEPS = 3


@dataclass(frozen=True)
class Corrected:
    alphas: list[float]
    accepted: bool
    objective_before: float
    objective_after: float
    val_accuracy_before: list[float]
    val_accuracy_after: list[float]  # of the alphas proposed (kept or not)


def prefix_accuracies(ys: list[np.ndarray], alphas: list[float], labels: np.ndarray) -> list[float]:
    f, out = np.zeros_like(ys[0]), []
    for a, y in zip(alphas, ys, strict=True):
        f = f + a * y
        out.append(float(np.mean(f.argmax(1) == labels)))
    return out


def anytime_objective(ys: list[np.ndarray], alphas: list[float], g: np.ndarray,
                      labels: np.ndarray, temperature: float, ce_weight: float) -> float:
    f, total = np.zeros_like(ys[0]), 0.0
    for a, y in zip(alphas, ys, strict=True):
        f = f + a * y
        total += kd_potential(g, f, labels, temperature, ce_weight)
    return total


def refit_alphas(ys_val: list[np.ndarray], alphas: list[float], g_val: np.ndarray,
                 labels_val: np.ndarray, bound: float, temperature: float,
                 ce_weight: float) -> Corrected:
    """Coordinate descent on sum_k Phi(F_k) over alpha in [B/20, B]^t, guarded per prefix."""
    grid = bound * np.arange(1, GRID_STEPS + 1) / GRID_STEPS

    def obj(a: list[float]) -> float:
        return anytime_objective(ys_val, a, g_val, labels_val, temperature, ce_weight)

    before = obj(list(alphas))
    cur = list(alphas)
    best = before
    for _ in range(SWEEPS):
        moved = False
        for j in range(len(cur)):
            for v in grid:
                trial = [*cur[:j], float(v), *cur[j + 1:]]
                o = obj(trial)
                if o < best - 1e-12:
                    best, cur, moved = o, trial, True
        if not moved:
            break
    acc_before = prefix_accuracies(ys_val, list(alphas), labels_val)
    acc_after = prefix_accuracies(ys_val, cur, labels_val)
    ok = best < before and all(a >= b for a, b in zip(acc_after, acc_before, strict=True))
    return Corrected(cur if ok else list(alphas), ok, before, best, acc_before, acc_after)
