"""Weak-learner objectives: what the stochastic solver minimises to find stage t.

Every student ends in tanh, so its raw output y = tanh(u) lies in (-1, 1) and the stage adds
f_t = alpha_t * y to the ensemble (alpha_t <= B: the bounded outputs of the game). Targets are
packed per example as y_true = [g (L), F_{t-1} (L), onehot(label) (L)], all in standardised
teacher units (see game.py); the adversary enters as Keras `sample_weight`.

Objectives (`OBJECTIVES`):
- `residual_kd` (default): F_{t-1} frozen, f_t = B*y trained so that
  softmax((F_{t-1} + f_t)/T) matches softmax(g/T) (KL, times T^2) plus ce_weight * CE(label);
  per-example weights from the adversary (mass of K+ + K- on the example, mixed with uniform by
  `focus`). alpha_t = B.
- `game`: the literal game. f_t minimises the exponential (cosh) potential of the residual,
  sum_j cosh(eta (r_ij - f_ij)), whose gradient at f = 0 is the edge direction -(K+ - K-); no
  labels, no extra example weights (the potential already weights by exp(eta |r|)). Then
  alpha_t = a * B with a in [0, 1.5] found by line search on the train potential.
Both add the log-barrier of the bound, -mu * mean_j log(B^2 - f^2) = -mu * mean_j
log(1 - y^2) + const (= 2 log B - 2 log cosh u: stable), which keeps y off the saturated tails
so that gradients still flow and int8 tanh keeps its resolution. Deviation from the paper: the
barrier relaxes the output bound |f| < B, not the edge condition itself; the edge is checked
after training on held-out data (FIND-WL).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Objective = Literal["residual_kd", "game"]
OBJECTIVES: tuple[str, ...] = ("residual_kd", "game")


def pack_targets(g: np.ndarray, f_prev: np.ndarray, labels: np.ndarray,
                 n_classes: int) -> np.ndarray:
    """(N, 3L) float32: teacher, frozen ensemble, one-hot label."""
    onehot = np.eye(n_classes, dtype=np.float32)[labels]
    return np.concatenate([g, f_prev, onehot], axis=1).astype(np.float32)


def potential_scale(r: np.ndarray, eta: float) -> float:
    """Mean over examples of sum_j cosh(eta r): divides the game loss to order 1."""
    return float(np.mean(np.sum(np.cosh(eta * np.asarray(r, np.float64)), axis=1)))


def make_loss(objective: str, n_classes: int, bound: float, temperature: float,
              ce_weight: float, mu: float, eta: float, z_norm: float = 1.0):
    """A Keras loss fn(y_true (B, 3L), y_pred (B, L) = tanh(u)) -> (B,) per-example loss."""
    from keras import ops

    L = n_classes

    def barrier(y):
        y2 = ops.minimum(ops.square(y), 1.0 - 1e-6)
        return -mu * ops.mean(ops.log(1.0 - y2), axis=-1)

    if objective == "residual_kd":
        def loss(y_true, y_pred):
            g, f_prev, onehot = y_true[:, :L], y_true[:, L:2 * L], y_true[:, 2 * L:]
            z = f_prev + bound * y_pred
            p_t = ops.softmax(g / temperature, axis=-1)
            log_p_s = ops.log_softmax(z / temperature, axis=-1)
            log_p_t = ops.log_softmax(g / temperature, axis=-1)
            kl = ops.sum(p_t * (log_p_t - log_p_s), axis=-1) * temperature ** 2
            ce = -ops.sum(onehot * ops.log_softmax(z, axis=-1), axis=-1)
            return (1.0 - ce_weight) * kl + ce_weight * ce + barrier(y_pred)
        return loss
    if objective == "game":
        def loss(y_true, y_pred):
            g, f_prev = y_true[:, :L], y_true[:, L:2 * L]
            r = (g - ops.mean(g, axis=-1, keepdims=True)) \
                - (f_prev - ops.mean(f_prev, axis=-1, keepdims=True))
            f = bound * (y_pred - ops.mean(y_pred, axis=-1, keepdims=True))
            return ops.sum(ops.cosh(eta * (r - f)), axis=-1) / z_norm + barrier(y_pred)
        return loss
    raise ValueError(f"unknown objective {objective!r}; use one of {OBJECTIVES}")


def line_search_alpha(r: np.ndarray, y: np.ndarray, bound: float, eta: float) -> float:
    """alpha = a * B, a in {0, 0.05, ..., 1.5}, minimising sum cosh(eta (r - alpha y))."""
    r = np.asarray(r, np.float64)
    y = np.asarray(y, np.float64)
    y = y - y.mean(axis=1, keepdims=True)
    grid = np.round(np.arange(0.0, 1.5001, 0.05), 2)
    costs = [float(np.sum(np.cosh(eta * (r - a * bound * y)))) for a in grid]
    return float(grid[int(np.argmin(costs))] * bound)
