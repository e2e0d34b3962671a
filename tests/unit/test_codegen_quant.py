"""The requantisation arithmetic exists twice, in `pipeline/codegen/quant.py` and in
`firmware/kernels/quant_math.c`; these vectors tie the two together bit for bit, and pin
`quantize_multiplier` to TFLM's QuantizeMultiplier contract."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest

from pipeline.codegen import quant
from pipeline.codegen.native import CFLAGS, INCLUDE_DIR, KERNEL_DIR


@pytest.fixture(scope="module")
def qm(tmp_path_factory):
    d = tmp_path_factory.mktemp("qm")
    so = d / "libqm.so"
    subprocess.run(["gcc", *CFLAGS, "-O2", "-fPIC", "-shared", f"-I{INCLUDE_DIR}",
                    str(KERNEL_DIR / "quant_math.c"), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    for name, n in (("ped_srdhm", 2), ("ped_mbqm", 3), ("ped_rdbp", 2), ("ped_sat_shl", 2)):
        fn = getattr(lib, name)
        fn.restype = ctypes.c_int32
        fn.argtypes = [ctypes.c_int32] * n
    return lib


EDGES = [0, 1, -1, 2, -2, 127, -128, 255, -255, (1 << 30), -(1 << 30), (1 << 31) - 1, -(1 << 31),
         12345, -12345, (1 << 23) + 1, -(1 << 23) - 1]


def test_srdhm_and_rdbp_match(qm):
    rng = np.random.default_rng(0)
    vals = EDGES + [int(v) for v in rng.integers(-(1 << 31), 1 << 31, size=300)]
    for a in vals[:60]:
        for b in vals[::7]:
            assert qm.ped_srdhm(a, b) == quant.srdhm(a, b), (a, b)
    for x in vals:
        for e in (0, 1, 2, 5, 12, 20, 31):
            assert qm.ped_rdbp(x, e) == quant.rdbp(x, e), (x, e)


def test_mbqm_matches(qm):
    rng = np.random.default_rng(1)
    for _ in range(3000):
        real = float(np.exp(rng.uniform(np.log(1e-6), np.log(50.0))))
        m, s = quant.quantize_multiplier(real)
        x = int(rng.integers(-(1 << 20), 1 << 20))
        assert qm.ped_mbqm(x, m, s) == quant.mbqm(x, m, s), (x, m, s)
        # and it is the rounded product, within one unit
        assert abs(quant.mbqm(x, m, s) - x * real) <= 1 + abs(x * real) * 2e-9


@pytest.mark.parametrize(("real", "expected"), [
    (0.5, (1 << 30, 0)), (1.0, (1 << 30, 1)), (0.75, (3 << 29, 0)), (0.0, (0, 0)),
    (2.0 ** -40, (0, 0)), (1.0 - 2.0 ** -40, (1 << 30, 1)),
])
def test_quantize_multiplier(real, expected):
    assert quant.quantize_multiplier(real) == expected


def test_round_away_from_zero():
    assert [quant.round_away(v) for v in (0.5, 1.5, -0.5, -2.5, 0.49999999999999994)] == \
        [1, 2, -1, -3, 0]


def _requant_cases(rng, n):
    """(acc, multiplier, shift) inside the inlined requantisation's range, edges included."""
    out = []
    for _ in range(n):
        m, s = quant.quantize_multiplier(float(np.exp(rng.uniform(np.log(1e-9), np.log(60.0)))))
        lim = (1 << 30) >> max(s, 0)
        acc = int(rng.integers(-lim + 1, lim)) if rng.random() < 0.5 \
            else int(rng.integers(-3000, 3000))
        out.append((acc, m, s))
    for s in (-31, -20, -1, 0, 1, 5):  # the ends of the range and ties
        lim = (1 << 30) >> max(s, 0)
        for acc in (lim - 1, -lim + 1, 0, -1, 1, (1 << 8) + 128, -(1 << 8) - 128):
            out.append((acc, (1 << 30), s))
            out.append((acc, (1 << 31) - 1, s))
    return out


def test_requant_fast_equals_mbqm_in_its_range():
    """The matrix kernels' requantisation (SMMULR form) is TFLM's double rounding, exactly,
    wherever codegen lets it run (|acc * 2^max(shift,0)| < 2^30)."""
    rng = np.random.default_rng(7)
    for acc, m, s in _requant_cases(rng, 20000):
        assert quant.requant_fast(acc, quant.requant_record(m, s)) == quant.mbqm(acc, m, s), \
            (acc, m, s)


def test_c_requant_matches_python(tmp_path):
    """ped_requant (ped/kernels/simd.h, the host's plain-C path) against mbqm + zp + clamp."""
    src = tmp_path / "rq.c"
    src.write_text('#include "ped/kernels/simd.h"\n'
                   "int32_t rq(int32_t acc, const ped_requant_t *q, int32_t zo) {\n"
                   "    return ped_requant(acc, q, zo, -128, 127);\n}\n")
    so = tmp_path / "librq.so"
    subprocess.run(["gcc", *CFLAGS, "-O2", "-fPIC", "-shared", f"-I{INCLUDE_DIR}", str(src),
                    "-o", str(so)], check=True)
    fn = ctypes.CDLL(str(so)).rq
    fn.restype = ctypes.c_int32
    fn.argtypes = [ctypes.c_int32, ctypes.POINTER(ctypes.c_int32 * 5), ctypes.c_int32]
    rng = np.random.default_rng(8)
    for acc, m, s in _requant_cases(rng, 5000):
        zo = int(rng.integers(-128, 128))
        rec = (ctypes.c_int32 * 5)(*quant.requant_record(m, s))
        assert fn(acc, ctypes.byref(rec), zo) == max(-128, min(127, quant.mbqm(acc, m, s) + zo))


def test_codegen_refuses_accumulators_beyond_the_inlined_requantisation():
    """check_requant_range lets a layer through only while |acc * 2^max(shift,0)| < 2^30 can
    hold for every input, and names the channel otherwise."""
    from types import SimpleNamespace

    from pipeline.codegen.ops.common import check_requant_range
    from pipeline.errors import PedError

    model = SimpleNamespace(layer_name=lambda op: "t.tflite: operator #0 FULLY_CONNECTED")
    bias = SimpleNamespace(data=np.array([1 << 29, 5]))
    rows = np.full((2, 64), 127)            # |acc| <= 2^29 + 128 * 127 * 64 < 2^30
    check_requant_range(model, None, bias, rows, 0, (0, -3))
    with pytest.raises(PedError, match="output channel 0"):
        check_requant_range(model, None, bias, rows, 0, (1, -3))  # x 2^1: beyond 2^30
    with pytest.raises(PedError, match="output channel 1"):         # per-tensor shift, zp
        check_requant_range(model, None, SimpleNamespace(data=np.array([0, 1 << 30])),
                            rows, -128, (0,))
