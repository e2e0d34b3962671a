"""The stochastic solver: minibatch Adam on one candidate's weak-learner objective.

Seeded per call (`keras.utils.set_random_seed` + deterministic TF ops, as the teacher), so a
stage trained twice with the same seed gives the same weights. Early stopping on the
objective measured on the val split (uniform weights there), best weights restored.

`fit_all` trains a list of independent `FitJob`s through an engine (pipeline/engine.py): in
this process, or one Ray task each (the worker returns the weights; they are loaded into the
same architecture here), in the jobs' order either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.distill.objective import make_loss
from pipeline.distill.pool import Candidate, build_student
from pipeline.engine import INPROCESS, Engine


@dataclass(frozen=True)
class SolverConfig:
    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 5e-3
    patience: int = 5


def fit_candidate(c: Candidate, loss_fn, x_train: list[np.ndarray], t_train: np.ndarray,
                  w_train: np.ndarray | None, x_val: list[np.ndarray], t_val: np.ndarray,
                  cfg: SolverConfig, seed: int):
    """Build `c` under `seed`, fit its tanh-logits output; returns (model, epochs run)."""
    import keras

    from pipeline.teacher import STEPS_PER_EXECUTION, seed_everything

    seed_everything(seed)
    model = build_student(c)
    trainable = keras.Model(model.inputs, model.outputs[0])
    trainable.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss=loss_fn,
                      steps_per_execution=STEPS_PER_EXECUTION)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience,
                                         restore_best_weights=True)
    hist = trainable.fit(_feed(x_train), t_train, sample_weight=w_train,
                         validation_data=(_feed(x_val), t_val), epochs=cfg.epochs,
                         batch_size=cfg.batch_size, shuffle=True, verbose=0, callbacks=[stop])
    return model, len(hist.history["loss"])


@dataclass(frozen=True)
class FitJob:
    """One `fit_candidate` call, picklable: the loss as `make_loss`'s arguments."""

    candidate: Candidate
    loss: tuple  # make_loss(*loss)
    x_train: list[np.ndarray]
    t_train: np.ndarray
    w_train: np.ndarray | None
    x_val: list[np.ndarray]
    t_val: np.ndarray
    solver: SolverConfig
    seed: int

    def fit(self):
        """(model, epochs run)."""
        return fit_candidate(self.candidate, make_loss(*self.loss), self.x_train,
                             self.t_train, self.w_train, self.x_val, self.t_val, self.solver,
                             self.seed)


def _fit_weights(job: FitJob) -> tuple[list[np.ndarray], int]:
    """A worker's side of `fit_all`: the trained weights, not the Keras model."""
    model, epochs = job.fit()
    return model.get_weights(), epochs


def fit_all(jobs: list[FitJob], engine: Engine = INPROCESS) -> list[tuple[object, int]]:
    """[(model, epochs run)] per job, in order; in parallel when the engine is."""
    if not engine.parallel or len(jobs) < 2:
        return [j.fit() for j in jobs]
    out = []
    for j, (weights, epochs) in zip(jobs, engine.map(_fit_weights, [(j,) for j in jobs]),
                                    strict=True):
        model = build_student(j.candidate)
        model.set_weights(weights)
        out.append((model, epochs))
    return out


def _feed(xs: list[np.ndarray]):
    return xs[0] if len(xs) == 1 else xs


def predict(model, xs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(tanh logits (N, L), feature map (N, ...)) of a full student model."""
    y, feat = model.predict(_feed(xs), batch_size=512, verbose=0)
    return np.asarray(y, np.float64), np.asarray(feat, np.float32)
