"""Small student-like models for the per-model golden tests and benchmarks/runtime.py.

Each builder returns a `BundleSpec` of full-int8 stages (converted as `ped quantize` does).
`connection()` is a two-stage bundle: stage 1 exports an intermediate feature map, stage 2
reads x plus that feature and exports one of its own (two inputs, two outputs); stage 2's
calibration data for the feature input is stage 1's float feature on the same x, so the
int8 quantisation of the connection agrees on both sides.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
from keras import layers

from pipeline.codegen import BundleSpec, StageSpec
from pipeline.codegen.reader import read_model
from tests.golden.convert import to_int8_tflite


def _seed(seed: int = 0) -> None:
    """Keras initialises weights from a global RNG; each builder starts from a fixed seed."""
    keras.utils.set_random_seed(seed)


def _one(model: keras.Model, shape: tuple[int, ...], n_classes: int) -> BundleSpec:
    return BundleSpec(n_classes, 0, (StageSpec("stage_01", to_int8_tflite(model, [shape])),))


def conv1d_100x6() -> BundleSpec:
    _seed()
    x = keras.Input((100, 6))
    h = layers.Conv1D(8, 5, strides=2, padding="same", activation="relu")(x)
    h = layers.Conv1D(16, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.DepthwiseConv1D(3, padding="same", activation="relu")(h)
    h = layers.MaxPooling1D(2)(h)
    h = layers.GlobalAveragePooling1D()(h)
    return _one(keras.Model(x, layers.Dense(7)(h)), (100, 6), 7)


def conv2d_8x8() -> BundleSpec:
    _seed()
    x = keras.Input((8, 8, 1))
    h = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    h = layers.MaxPooling2D(2)(h)
    h = layers.Conv2D(16, 3, padding="same", activation="relu")(h)
    h = layers.GlobalAveragePooling2D()(h)
    return _one(keras.Model(x, layers.Dense(10)(h)), (8, 8, 1), 10)


def conv2d_28x28() -> BundleSpec:
    _seed()
    x = keras.Input((28, 28, 1))
    h = layers.Conv2D(8, 3, strides=2, activation="relu")(x)
    h = layers.DepthwiseConv2D(3, padding="same", activation="relu6")(h)
    h = layers.Conv2D(16, 1, activation="relu")(h)
    h = layers.MaxPooling2D(2)(h)
    h = layers.AveragePooling2D(2)(h)
    h = layers.Flatten()(h)
    return _one(keras.Model(x, layers.Dense(10)(h)), (28, 28, 1), 10)


def mlp_64() -> BundleSpec:
    _seed()
    x = keras.Input((64,))
    h = layers.Dense(32, activation="relu")(x)
    h = layers.Dense(16, activation="relu")(h)
    return _one(keras.Model(x, layers.Dense(10)(h)), (64,), 10)


def student_c1d() -> BundleSpec:
    """Shaped like pipeline/distill/pool.py's students: ReLU6 conv blocks, flatten, dense,
    tanh; outputs [tanh logits, exported feature map]."""
    _seed()
    x = keras.Input((100, 6), name="x")
    h = x
    for w in (4, 6, 8):
        h = layers.Conv1D(w, 5, strides=2, padding="same", activation="relu6")(h)
    y = layers.Activation("tanh")(layers.Dense(7)(layers.Flatten()(h)))
    t = to_int8_tflite(keras.Model(x, [y, h]), [(100, 6)])
    m = read_model(t)
    logits = next(j for j, i in enumerate(m.outputs) if m.tensors[i].size == 7)
    return BundleSpec(7, 0, (StageSpec("stage_01", t, (None,), logits_output=logits),))


def connection(seed: int = 0, pin: bool = True) -> BundleSpec:
    """Two stages on (100, 6), 7 classes; stage 2 reads stage 1's (50, 8) feature map."""
    import tensorflow as tf

    _seed(seed)
    x1 = keras.Input((100, 6), name="x")
    f1 = layers.Conv1D(8, 5, strides=2, padding="same", activation="relu", name="s1_f")(x1)
    h = layers.Conv1D(8, 3, strides=2, padding="same", activation="relu")(f1)
    l1 = layers.Dense(7, name="s1_logits")(layers.GlobalAveragePooling1D()(h))
    m1 = keras.Model(x1, [l1, f1])

    x2 = keras.Input((100, 6), name="a_x")
    f_in = keras.Input((50, 8), name="b_feature")
    h = layers.Conv1D(8, 3, strides=2, padding="same", activation="relu")(x2)
    g = layers.Conv1D(8, 1, activation="relu")(f_in)  # a concat directly on the input
    h = layers.Concatenate()([h, g])                    # would rescale the connection
    f2 = layers.Conv1D(12, 3, strides=2, padding="same", activation="relu", name="s2_f")(h)
    l2 = layers.Dense(7, name="s2_logits")(layers.GlobalAveragePooling1D()(f2))
    m2 = keras.Model([x2, f_in], [l2, f2])

    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=(1, 100, 6)).astype(np.float32) for _ in range(16)]
    feats = [m1(x, training=False)[1].numpy() for x in xs]

    def convert(model: keras.Model, rep: Callable) -> bytes:
        conv = tf.lite.TFLiteConverter.from_keras_model(model)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = rep
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
        return conv.convert()

    t1 = convert(m1, lambda: ([x] for x in xs))
    t2 = convert(m2, lambda: ({"a_x": x, "b_feature": f} for x, f in zip(xs, feats, strict=True)))
    # the converter picks the input/output order (seen: by name, logits last): look it up
    m1r, m2r = read_model(t1), read_model(t2)
    l1_idx = next(j for j, t in enumerate(m1r.outputs) if m1r.tensors[t].size == 7)
    l2_idx = next(j for j, t in enumerate(m2r.outputs) if m2r.tensors[t].size == 7)
    f1_idx = 1 - l1_idx
    inputs2 = tuple((1, f1_idx) if "feature" in m2r.tensors[t].name else None
                    for t in m2r.inputs)
    # Calibration of the same float feature on both sides still differed in the last bit of
    # the float32 scale (Keras vs the converter's float kernels); pin stage 2's input to
    # stage 1's output quantisation, as `ped quantize` must guarantee (DESIGN.md section 5).
    f1 = m1r.tensors[m1r.outputs[f1_idx]]
    if pin:
        t2 = _pin_input_quant(t2, inputs2.index((1, f1_idx)), f1.scale, f1.zero_point)
    return BundleSpec(7, 0, (StageSpec("stage_01", t1, (None,), logits_output=l1_idx),
                             StageSpec("stage_02", t2, inputs2, logits_output=l2_idx)))


def _pin_input_quant(tflite: bytes, input_index: int, scale: float, zero_point: int) -> bytes:
    """The model with input `input_index` re-quantised to (scale, zero_point) in the file."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

    m = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(bytearray(tflite), 0))
    g = m.subgraphs[0]
    alias_ops = {fb.BuiltinOperator.RESHAPE, fb.BuiltinOperator.EXPAND_DIMS,
                 fb.BuiltinOperator.SQUEEZE}
    chain = {int(g.inputs[input_index])}
    for op in g.operators:  # the input's reshapes carry the same quantisation
        code = m.operatorCodes[op.opcodeIndex]
        if max(code.builtinCode, code.deprecatedBuiltinCode) in alias_ops \
                and int(op.inputs[0]) in chain:
            chain.add(int(op.outputs[0]))
    for t in chain:
        q = g.tensors[t].quantization
        q.scale, q.zeroPoint = [scale], [zero_point]
    b = flatbuffers.Builder(len(tflite) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


MODELS: dict[str, Callable[[], BundleSpec]] = {
    "conv1d_100x6": conv1d_100x6,
    "conv2d_8x8": conv2d_8x8,
    "conv2d_28x28": conv2d_28x28,
    "mlp_64": mlp_64,
    "student_c1d": student_c1d,
    "connection": connection,
}
