"""The per-op golden tests of test_ops.py for the kernels with per-target variants
(conv_2d incl. grouped and 1-D, depthwise_conv_2d incl. depth multiplier 2,
fully_connected): hypothesis-drawn shapes and options, each model built for QEMU
mps2-an386 (Cortex-M4F, DSP path) and mps2-an385 (Cortex-M3, plain C) with the firmware's
flags and compared with the TFLM interpreter, 0 differing outputs required."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from keras import layers

from tests.golden.qemu_ops import QemuGolden
from tests.golden.test_ops import ACT, PAD, _check

SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qgolden(tmp_path_factory) -> QemuGolden:
    return QemuGolden(tmp_path_factory.mktemp("qemu-golden"))


@SETTINGS
@given(h=st.integers(3, 9), w=st.integers(3, 9), c=st.integers(1, 9), f=st.integers(1, 6),
       k=st.integers(1, 3), s=st.integers(1, 2), pad=PAD, act=ACT, bias=st.booleans(),
       g=st.sampled_from([1, 1, 2]))
@example(h=5, w=6, c=2, f=3, k=3, s=1, pad="same", act=None, bias=True, g=2)
@example(h=7, w=7, c=8, f=5, k=3, s=2, pad="same", act="relu", bias=True, g=1)
def test_conv_2d_qemu(qgolden, h, w, c, f, k, s, pad, act, bias, g):
    _check(qgolden, lambda x: layers.Conv2D(f * g, k, strides=s, padding=pad, activation=act,
                                            use_bias=bias, groups=g)(x), (h, w, c * g),
           {"CONV_2D"})


@SETTINGS
@given(n=st.integers(5, 40), c=st.integers(1, 9), f=st.integers(1, 8), k=st.integers(1, 5),
       s=st.integers(1, 2), pad=PAD, act=ACT)
@example(n=25, c=16, f=16, k=5, s=1, pad="same", act="relu6")
def test_conv1d_qemu(qgolden, n, c, f, k, s, pad, act):
    _check(qgolden, lambda x: layers.Conv1D(f, k, strides=s, padding=pad, activation=act)(x),
           (n, c), {"CONV_2D"})


@SETTINGS
@given(h=st.integers(3, 9), w=st.integers(1, 9), c=st.integers(1, 9), m=st.integers(1, 2),
       k=st.integers(1, 3), s=st.integers(1, 2), pad=PAD, act=ACT)
@example(h=6, w=6, c=8, m=1, k=3, s=1, pad="same", act="relu")
@example(h=5, w=7, c=6, m=1, k=3, s=1, pad="same", act=None)  # a quad + 2 channels
@example(h=6, w=5, c=5, m=1, k=2, s=2, pad="valid", act="relu6")
def test_depthwise_conv_2d_qemu(qgolden, h, w, c, m, k, s, pad, act):
    k_w = min(k, w) if pad == "valid" else k
    _check(qgolden, lambda x: layers.DepthwiseConv2D((k, k_w), strides=s, depth_multiplier=m,
                                                     padding=pad, activation=act)(x),
           (h, w, c), {"DEPTHWISE_CONV_2D"})


@SETTINGS
@given(n=st.integers(1, 48), units=st.integers(1, 16), act=ACT, bias=st.booleans(),
       steps=st.sampled_from([0, 0, 3]))
@example(n=5, units=4, act=None, bias=True, steps=3)
@example(n=64, units=10, act=None, bias=True, steps=0)  # 2 groups of 4 + one of 2
@example(n=13, units=7, act="relu", bias=False, steps=0)
@example(n=9, units=1, act=None, bias=True, steps=0)
def test_fully_connected_qemu(qgolden, n, units, act, bias, steps):
    shape = (steps, n) if steps else (n,)
    _check(qgolden, lambda x: layers.Dense(units, activation=act, use_bias=bias)(x), shape,
           {"FULLY_CONNECTED"}, batch=1 if steps else None)
