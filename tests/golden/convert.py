"""Build tiny Keras models and convert them to full-int8 .tflite, as `ped quantize` does."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np


def to_int8_tflite(model, input_shapes: list[tuple[int, ...]], seed: int = 0,
                   n_rep: int = 16) -> bytes:
    """Full-int8 conversion (int8 in/out, TFLITE_BUILTINS_INT8) with a random normal
    representative dataset; inputs follow the Keras model's input order."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    rep = [[rng.normal(size=(1, *s)).astype(np.float32) for s in input_shapes]
           for _ in range(n_rep)]

    def gen():
        yield from rep

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = gen
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def random_int8(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    return rng.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)
