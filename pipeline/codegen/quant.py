"""Python twin of `firmware/kernels/quant_math.c` and TFLM's Prepare-time arithmetic.

Codegen computes every multiplier and shift here, once, exactly as TFLM's Prepare does
(`QuantizeMultiplier`, double precision from the float32 scales, round half away from zero),
so the C kernels only apply them. Multiplier contract: real M = multiplier * 2^(shift - 31),
multiplier in [2^30, 2^31), shift in [-31, 30]; (0, 0) for multipliers below 2^-31.
"""

from __future__ import annotations

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127


def round_away(x: float) -> int:
    """C/C++ round(): half away from zero."""
    a = abs(x)
    f = math.floor(a)
    r = f + 1 if a - f >= 0.5 else f  # a - f is exact for doubles
    return r if x >= 0 else -r


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLM QuantizeMultiplier: (multiplier, shift) for a real multiplier >= 0."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = round_away(q * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        raise ValueError(f"multiplier {real!r} is too large for int32 requantisation")
    return q_fixed, shift


def f32(x: float) -> float:
    """The float32 value nearest x, as a Python float (C `float` arithmetic)."""
    return float(np.float32(x))


def quantize_value(value: float, scale: float, zero_point: int) -> int:
    """TFLM's Quantize(): zero_point + round(value / scale), the division in float32."""
    return zero_point + round_away(f32(np.float32(value) / np.float32(scale)))


def activation_range(activation: int, scale: float, zero_point: int) -> tuple[int, int]:
    """TFLM CalculateActivationRangeQuantized for int8: NONE=0, RELU=1, RELU_N1_TO_1=2,
    RELU6=3; ValueError for anything else."""
    if activation == 0:
        return INT8_MIN, INT8_MAX
    if activation == 1:
        return max(INT8_MIN, quantize_value(0.0, scale, zero_point)), INT8_MAX
    if activation == 2:
        return (max(INT8_MIN, quantize_value(-1.0, scale, zero_point)),
                min(INT8_MAX, quantize_value(1.0, scale, zero_point)))
    if activation == 3:
        return (max(INT8_MIN, quantize_value(0.0, scale, zero_point)),
                min(INT8_MAX, quantize_value(6.0, scale, zero_point)))
    raise ValueError(f"fused activation {activation} is not supported")


# --- the runtime arithmetic, bit for bit as quant_math.c (used by unit tests) -----------------

def srdhm(a: int, b: int) -> int:
    """Saturating rounding doubling high multiply of two int32."""
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return _trunc_div(ab + nudge, 1 << 31)


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def rdbp(x: int, exponent: int) -> int:
    """Rounding (half away from zero) divide by 2^exponent."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def _wrap32(x: int) -> int:
    return ((x + (1 << 31)) % (1 << 32)) - (1 << 31)


def mbqm(x: int, multiplier: int, shift: int) -> int:
    """TFLM MultiplyByQuantizedMultiplier (double rounding)."""
    left = max(shift, 0)
    right = max(-shift, 0)
    return rdbp(srdhm(_wrap32(x << left), multiplier), right)


def requant_record(multiplier: int, shift: int) -> tuple[int, int, int, int, int]:
    """(multiplier, shift) -> the kernels' `ped_requant_t` (ped/kernels/simd.h):
    (multiplier, max(shift, 0) + 1, n = max(-shift, 0), 2^(n-1) or 0, -1 if n else 0)."""
    n = max(-shift, 0)
    return (multiplier, max(shift, 0) + 1, n, (1 << n) >> 1, -1 if n else 0)


def requant_fast(acc: int, record: tuple[int, int, int, int, int]) -> int:
    """`ped_requant`'s arithmetic before the zero point (C twin in ped/kernels/simd.h): equal
    to mbqm(acc, multiplier, shift) while |acc * 2^max(shift, 0)| < 2^30."""
    m, left, n, rnd, mask = record
    x = (acc << left) & 0xFFFFFFFF
    x = x - (1 << 32) if x >= 1 << 31 else x
    add = rnd + (mask & (-1 if acc < 0 else 0))  # acc's sign: see ped_requant
    return (add + ((x * m + (1 << 31)) >> 32)) >> n
