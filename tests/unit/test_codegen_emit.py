"""Small printing pieces of the emitter: float literals and comments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.codegen.emit import c_comment, c_float
from pipeline.codegen.ir import CArray


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_c_float_round_trips_float32(x):
    lit = c_float(x)
    assert lit.endswith("f") and ("." in lit or "e" in lit)
    assert np.float32(float(lit[:-1])) == np.float32(x)


def test_c_float_refuses_non_finite():
    with pytest.raises(ValueError):
        c_float(float("inf"))


@given(st.text())
def test_c_comment_cannot_close_the_comment(text):
    out = c_comment(text)
    assert "*/" not in out and "/*" not in out and out.isascii()


def test_c_array_range_is_checked():
    with pytest.raises(ValueError):
        CArray("w", "int8_t", (0, 128))
