"""Teacher training: the large float network that B-DISTIL decomposes.

Seeded (keras.utils.set_random_seed + deterministic TF ops), early stopping on validation
loss with the best weights restored. Writes to `<run>/teacher/`: `model.keras`,
`metrics.json` (test accuracy, params, MACs, epochs) and `logits.npz` (the teacher's logits on
every split, which distillation consumes).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from pipeline.data.prepare import SPLITS, Dataset
from pipeline.data.recipe import TeacherConfig
from pipeline.models import build_teacher, count_macs, param_bytes_int8
from pipeline.progress import epoch_bar

# Keras runs this many optimizer steps per call of its compiled train function: the same
# batches, updates and epoch-end callbacks as one step per call (same weights, checked on
# watch students), with less Python overhead per step (a watch student: 24.7 s -> 17.8 s).
STEPS_PER_EXECUTION = 32


def seed_everything(seed: int) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def train_teacher(ds: Dataset, cfg: TeacherConfig, out_dir: Path, seed: int = 0,
                  show_progress: bool = True) -> list[Path]:
    import keras

    seed_everything(seed)
    model = build_teacher(ds.meta["kind"], ds.input_shape, ds.n_classes, cfg.width,
                          cfg.input_noise, cfg.spatial_dropout)
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=STEPS_PER_EXECUTION,
    )
    callbacks: list = [keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=cfg.patience, restore_best_weights=True)]
    if show_progress:
        callbacks.append(epoch_bar(f"teacher {ds.meta['name']}", cfg.epochs))
    t0 = time.monotonic()
    hist = model.fit(ds.x["train"], ds.y["train"], validation_data=(ds.x["val"], ds.y["val"]),
                     epochs=cfg.epochs, batch_size=cfg.batch_size, verbose=0,
                     callbacks=callbacks, shuffle=True)
    train_seconds = time.monotonic() - t0
    logits = {s: model.predict(ds.x[s], batch_size=256, verbose=0) for s in SPLITS}
    acc = {s: float(np.mean(logits[s].argmax(1) == ds.y[s])) for s in SPLITS}
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / "model.keras"
    model.save(model_path)
    logits_path = out_dir / "logits.npz"
    np.savez(logits_path, **{s: logits[s].astype(np.float32) for s in SPLITS})
    metrics = {
        "test_accuracy": acc["test"],
        "val_accuracy": acc["val"],
        "train_accuracy": acc["train"],
        "params": int(model.count_params()),
        "param_bytes_int8": param_bytes_int8(model),
        "macs": count_macs(model),
        "epochs_run": len(hist.history["loss"]),
        "train_seconds": round(train_seconds, 2),
        "seed": seed,
    }
    metrics_path = out_dir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2))
    return [model_path, logits_path, metrics_path]
