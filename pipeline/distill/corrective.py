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

The joint step (`finetune_jointly`, DistillConfig.joint_epochs) is the full form: the students
themselves are fine-tuned together on the anytime loss (every prefix's KD loss), with the same
guard (no prefix's val accuracy drops; with `monotone`, the prefixes stay non-decreasing in k).
It changes the students, so their files are saved again and converted as usual; their
architectures, connections and costs on the device do not change. Choice beyond the paper,
whose stages are frozen once found: a greedy round can only add a correction, so an early
student trained on few epochs and a later one fitted to its residual are never improved
together.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

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


def _guard(after: list[float], before: list[float], monotone: bool) -> bool:
    """No prefix below its value before; with `monotone`, also F_k >= F_{k-1} on val."""
    if not all(a >= b for a, b in zip(after, before, strict=True)):
        return False
    return not monotone or all(v >= u for u, v in pairwise(after))


def anytime_objective(ys: list[np.ndarray], alphas: list[float], g: np.ndarray,
                      labels: np.ndarray, temperature: float, ce_weight: float) -> float:
    f, total = np.zeros_like(ys[0]), 0.0
    for a, y in zip(alphas, ys, strict=True):
        f = f + a * y
        total += kd_potential(g, f, labels, temperature, ce_weight)
    return total


def refit_alphas(ys_val: list[np.ndarray], alphas: list[float], g_val: np.ndarray,
                 labels_val: np.ndarray, bound: float, temperature: float,
                 ce_weight: float, monotone: bool = False) -> Corrected:
    """Coordinate descent on sum_k Phi(F_k) over alpha in [B/20, B]^t, guarded per prefix
    (and, with `monotone`, kept only if the prefix accuracies stay non-decreasing in k)."""
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
    ok = best < before and _guard(acc_after, acc_before, monotone)
    return Corrected(cur if ok else list(alphas), ok, before, best, acc_before, acc_after)


@dataclass(frozen=True)
class JointFineTune:
    accepted: bool
    epochs: int  # epochs run
    best_epoch: int  # 0 = the weights before fine-tuning were kept
    objective_before: float
    objective_after: float
    val_accuracy_before: list[float]
    val_accuracy_after: list[float]


def finetune_jointly(models: list, reads: list[list[int]], alphas: list[float],
                     x_fit: np.ndarray, g_fit: np.ndarray, y_fit: np.ndarray,
                     x_val: np.ndarray, g_val: np.ndarray, y_val: np.ndarray,
                     temperature: float, ce_weight: float, mu: float, epochs: int,
                     learning_rate: float, batch_size: int, patience: int,
                     seed: int, monotone: bool = False) -> JointFineTune:
    """Fine-tune every student at once on the anytime loss, in place, guarded per prefix.

    `models[j]` is stage j+1's Keras model ([x, *maps it reads] -> [tanh y, map]); `reads[j]`
    the 1-based stages whose maps it reads. The students are wired into one graph and trained
    by Adam on mean_k [(1 - ce) T^2 KL(softmax(g/T) || softmax(F_k/T)) + ce CE(label, F_k)]
    + the log-barrier of every y_j, with F_k = sum_{j<=k} alpha_j y_j (alphas fixed). After
    each epoch the val prefixes are scored; the weights kept are those of the epoch with the
    lowest val anytime objective sum_k Phi(F_k) among the epochs where **no prefix's val
    accuracy is below its value before the step** (with `monotone`, also only epochs whose
    prefix accuracies are non-decreasing in k), else the weights are restored as they were
    (accepted = False). Early stop after `patience` epochs without a new best."""
    import keras
    from keras import layers, ops

    from pipeline.teacher import STEPS_PER_EXECUTION, seed_everything

    seed_everything(seed)
    n_cls, t = g_fit.shape[1], len(models)
    x = keras.Input(shape=x_fit.shape[1:], name="x")
    ys, maps = [], []
    for m, rd in zip(models, reads, strict=True):
        ins = [x, *(maps[r - 1] for r in rd)]
        y, feat = m(ins if len(ins) > 1 else ins[0])
        ys.append(y)
        maps.append(feat)
    joint = keras.Model(x, layers.Concatenate(axis=-1)(ys) if t > 1 else ys[0])
    a = [float(v) for v in alphas]

    def loss(y_true, y_pred):
        g, onehot = y_true[:, :n_cls], y_true[:, n_cls:]
        p_t = ops.softmax(g / temperature, axis=-1)
        log_p_t = ops.log_softmax(g / temperature, axis=-1)
        f, total = 0.0, 0.0
        for j in range(t):
            yj = y_pred[:, j * n_cls:(j + 1) * n_cls]
            f = f + a[j] * yj
            kl = ops.sum(p_t * (log_p_t - ops.log_softmax(f / temperature, axis=-1)), axis=-1)
            ce = -ops.sum(onehot * ops.log_softmax(f, axis=-1), axis=-1)
            barrier = -mu * ops.mean(ops.log(1.0 - ops.minimum(ops.square(yj), 1.0 - 1e-6)),
                                     axis=-1)
            total = total + (1 - ce_weight) * kl * temperature ** 2 + ce_weight * ce + barrier
        return total / t

    def score() -> tuple[float, list[float]]:
        out = np.asarray(joint.predict(x_val, batch_size=512, verbose=0), np.float64)
        ys_val = [out[:, j * n_cls:(j + 1) * n_cls] for j in range(t)]
        return (anytime_objective(ys_val, a, g_val, y_val, temperature, ce_weight),
                prefix_accuracies(ys_val, a, y_val))

    obj0, acc0 = score()
    start = joint.get_weights()
    best = {"obj": obj0, "acc": acc0, "epoch": 0, "weights": start}

    class Guard(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            obj, acc = score()
            if obj < best["obj"] - 1e-9 and _guard(acc, acc0, monotone):
                best.update(obj=obj, acc=acc, epoch=epoch + 1, weights=joint.get_weights())
            if epoch + 1 - best["epoch"] >= patience:
                self.model.stop_training = True

    onehot = np.eye(n_cls, dtype=np.float32)
    target = np.concatenate([g_fit, onehot[y_fit]], axis=1).astype(np.float32)
    joint.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss,
                  steps_per_execution=STEPS_PER_EXECUTION)
    hist = joint.fit(x_fit, target, epochs=epochs, batch_size=batch_size, shuffle=True,
                     verbose=0, callbacks=[Guard()])
    joint.set_weights(best["weights"])
    return JointFineTune(best["epoch"] > 0, len(hist.history["loss"]), best["epoch"], obj0,
                         best["obj"], acc0, best["acc"])
