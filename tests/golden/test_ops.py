"""Per-op golden tests: hypothesis-drawn shapes and options, one-op Keras models converted to
full int8, our generated C vs the TFLM interpreter, 0 differing outputs required."""

from __future__ import annotations

import keras
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from keras import layers

from pipeline.codegen.reader import read_model
from tests.golden.convert import to_int8_tflite

EXAMPLES = 10
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
ACT = st.sampled_from([None, "relu", "relu6"])
PAD = st.sampled_from(["same", "valid"])


def _check(golden, build, shape, expect_ops: set[str], batch: int | None = None) -> None:
    x = keras.Input(shape, batch_size=batch)
    tfl = to_int8_tflite(keras.Model(x, build(x)), [shape])
    ops = {op.op for op in read_model(tfl).operators}
    assert expect_ops <= ops, ops
    bad, total = golden.differing(golden.single(tfl))
    assert total > 0
    assert bad == 0, f"{bad}/{total} int8 outputs differ from TFLM"


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(h=st.integers(3, 9), w=st.integers(3, 9), c=st.integers(1, 4), f=st.integers(1, 6),
       k=st.integers(1, 3), s=st.integers(1, 2), pad=PAD, act=ACT, bias=st.booleans(),
       g=st.sampled_from([1, 1, 2]))
@example(h=5, w=6, c=2, f=3, k=3, s=1, pad="same", act=None, bias=True, g=2)
def test_conv_2d(golden, h, w, c, f, k, s, pad, act, bias, g):
    """Includes grouped convolutions (CONV_2D with in_c / groups filter channels)."""
    _check(golden, lambda x: layers.Conv2D(f * g, k, strides=s, padding=pad, activation=act,
                                           use_bias=bias, groups=g)(x), (h, w, c * g),
           {"CONV_2D"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(n=st.integers(5, 40), c=st.integers(1, 6), f=st.integers(1, 8), k=st.integers(1, 5),
       s=st.integers(1, 2), pad=PAD, act=ACT)
def test_conv_2d_as_conv1d(golden, n, c, f, k, s, pad, act):
    """Keras Conv1D -> EXPAND_DIMS + CONV_2D (1 x k) + RESHAPE. (A dilated Conv1D converts to
    SPACE_TO_BATCH_ND/BATCH_TO_SPACE_ND around the conv, which is refused.)"""
    _check(golden, lambda x: layers.Conv1D(f, k, strides=s, padding=pad, activation=act)(x),
           (n, c), {"CONV_2D"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(h=st.integers(3, 9), w=st.integers(1, 9), c=st.integers(1, 5), m=st.integers(1, 2),
       k=st.integers(1, 3), s=st.integers(1, 2), pad=PAD, act=ACT)
@example(h=5, w=7, c=6, m=1, k=3, s=1, pad="same", act=None)  # a quad + 2 channels
@example(h=6, w=5, c=5, m=1, k=2, s=2, pad="valid", act="relu6")
def test_depthwise_conv_2d(golden, h, w, c, m, k, s, pad, act):
    k_w = min(k, w) if pad == "valid" else k
    _check(golden, lambda x: layers.DepthwiseConv2D((k, k_w), strides=s, depth_multiplier=m,
                                                    padding=pad, activation=act)(x),
           (h, w, c), {"DEPTHWISE_CONV_2D"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(n=st.integers(1, 48), units=st.integers(1, 16), act=ACT, bias=st.booleans(),
       steps=st.sampled_from([0, 0, 3]))
@example(n=5, units=4, act=None, bias=True, steps=3)
@example(n=64, units=10, act=None, bias=True, steps=0)  # 2 groups of 4 + one of 2
@example(n=13, units=7, act="relu", bias=False, steps=0)
@example(n=9, units=1, act=None, bias=True, steps=0)
def test_fully_connected(golden, n, units, act, bias, steps):
    """Dense on a vector, or on a (steps, n) sequence: FULLY_CONNECTED over several rows. (With
    a dynamic batch the converter computes the sequence shape with SHAPE/GATHER ops; `ped
    quantize` fixes the batch to 1, as here.)"""
    shape = (steps, n) if steps else (n,)
    _check(golden, lambda x: layers.Dense(units, activation=act, use_bias=bias)(x), shape,
           {"FULLY_CONNECTED"}, batch=1 if steps else None)


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(h=st.integers(2, 9), w=st.integers(2, 9), c=st.integers(1, 4), k=st.integers(1, 3),
       s=st.integers(1, 3), pad=PAD, kind=st.sampled_from(["avg", "max"]))
def test_pool_2d(golden, h, w, c, k, s, pad, kind):
    k = min(k, h, w) if pad == "valid" else k  # Keras refuses an empty output
    layer = layers.AveragePooling2D if kind == "avg" else layers.MaxPooling2D
    op = "AVERAGE_POOL_2D" if kind == "avg" else "MAX_POOL_2D"
    _check(golden, lambda x: layer(k, strides=s, padding=pad)(x), (h, w, c), {op})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(n=st.integers(1, 12), c=st.integers(1, 8), two_d=st.booleans())
def test_mean(golden, n, c, two_d):
    if two_d:
        _check(golden, lambda x: layers.GlobalAveragePooling2D()(x), (n, n + 1, c), {"MEAN"})
    else:
        _check(golden, lambda x: layers.GlobalAveragePooling1D()(x), (n, c), {"MEAN"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(n=st.integers(1, 24), a=st.integers(1, 12), act=ACT)
def test_add(golden, n, a, act):
    def build(x):
        return layers.Add()([layers.Dense(a)(x), layers.Dense(a, activation=act)(x)])
    _check(golden, build, (n,), {"ADD"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(n=st.integers(1, 24), a=st.integers(1, 12), act=ACT,
       kind=st.sampled_from(["same", "scalar", "constant"]))
@example(n=6, a=5, act=None, kind="constant")
def test_mul(golden, n, a, act, kind):
    """Two activations, an activation times a one-element activation, or times a constant
    (a fixed output scale, B * tanh(u))."""
    def build(x):
        h = layers.Dense(a, activation=act)(x)
        if kind == "same":
            return layers.Multiply()([h, layers.Dense(a)(x)])
        if kind == "scalar":
            return layers.Multiply()([h, layers.Dense(1)(x)])
        return layers.Rescaling(2.5)(layers.Activation("tanh")(h))
    _check(golden, build, (n,), {"MUL"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(h=st.integers(1, 8), w=st.integers(1, 8), c=st.integers(1, 3),
       p=st.tuples(*[st.integers(0, 2)] * 4), two_d=st.booleans())
def test_pad(golden, h, w, c, p, two_d):
    p = (p[0], max(p[1], 1), p[2], p[3])  # at least one pad, or there is no op at all
    if two_d:
        _check(golden, lambda x: layers.ZeroPadding2D(((p[0], p[1]), (p[2], p[3])))(x),
               (h, w, c), {"PAD"})
    else:
        _check(golden, lambda x: layers.ZeroPadding1D((p[0], p[1]))(layers.Conv1D(c, 1)(x)),
               (w, c), {"PAD"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(n=st.integers(2, 20), c=st.integers(1, 4), a=st.integers(1, 5), b=st.integers(1, 5))
def test_concatenation(golden, n, c, a, b):
    def build(x):
        return layers.Concatenate()([layers.Conv1D(a, 3, padding="same")(x),
                                     layers.Conv1D(b, 1)(x)])
    _check(golden, build, (n, c), {"CONCATENATION"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(n=st.integers(2, 24), units=st.integers(2, 12))
def test_softmax(golden, n, units):
    _check(golden, lambda x: layers.Dense(units, activation="softmax")(x), (n,), {"SOFTMAX"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(n=st.integers(1, 24), units=st.integers(1, 12))
def test_tanh(golden, n, units):
    _check(golden, lambda x: layers.Activation("tanh")(layers.Dense(units)(x)), (n,), {"TANH"})


@pytest.mark.slow  # ten hypothesis examples, each a conversion + gcc
@SETTINGS
@given(n=st.integers(1, 24), units=st.integers(1, 12))
def test_logistic(golden, n, units):
    _check(golden, lambda x: layers.Dense(units, activation="sigmoid")(x), (n,), {"LOGISTIC"})


@pytest.mark.parametrize(("n", "a"), [(8, 8), (16, 5), (5, 12)])
def test_quantize(golden, n, a):
    """A tensor concatenated twice with different partners needs two scales: the converter
    inserts an int8 -> int8 QUANTIZE when the calibrated ranges differ (always seen for
    (8, 8) with TF 2.21; the other shapes are compared whether or not they get one)."""
    x = keras.Input((n,))
    h = layers.Dense(a)(x)
    out1 = layers.Concatenate()([h, x])
    out2 = layers.Concatenate()([h, layers.Dense(a)(x)])
    tfl = to_int8_tflite(keras.Model(x, [out1, out2]), [(n,)])
    assert (n, a) != (8, 8) or "QUANTIZE" in {op.op for op in read_model(tfl).operators}
    bad, total = golden.differing(golden.single(tfl))
    assert total > 0 and bad == 0, f"{bad}/{total} int8 outputs differ from TFLM"


@pytest.mark.parametrize("flatten", [True, False])
def test_reshape_flatten(golden, flatten):
    """Flatten (SHAPE/STRIDED_SLICE/PACK/RESHAPE folded away) and Reshape are aliases."""
    def build(x):
        h = layers.Flatten()(x) if flatten else layers.Reshape((-1,))(x)
        return layers.Dense(3)(h)
    _check(golden, build, (4, 3, 2), {"RESHAPE"})
