"""Validation and arithmetic shared by the op writers (Prepare-time checks, as TFLM's)."""

from __future__ import annotations

from typing import NoReturn

import numpy as np

from pipeline.codegen.quant import activation_range, quantize_multiplier, requant_record
from pipeline.codegen.reader import Model, Operator, Tensor
from pipeline.errors import PedError

FIX = "use only the ops, options and dtypes listed in docs/codegen.md"


def fail(model: Model, op: Operator, problem: str) -> NoReturn:
    raise PedError(f"{model.layer_name(op)}: {problem}", FIX)


def activation(model: Model, op: Operator, i: int, rank: int | None = None) -> Tensor:
    """Operand `i` of `op` as an int8 activation tensor (per-tensor quantised)."""
    if i >= len(op.inputs) or op.inputs[i] < 0:
        fail(model, op, f"input {i} is missing")
    return _check_act(model, op, model.tensors[op.inputs[i]], f"input {i}", rank)


def output(model: Model, op: Operator, i: int = 0, rank: int | None = None) -> Tensor:
    return _check_act(model, op, model.tensors[op.outputs[i]], f"output {i}", rank)


def _check_act(model: Model, op: Operator, t: Tensor, what: str, rank: int | None) -> Tensor:
    if t.dtype != "int8":
        fail(model, op, f"{what} '{t.name}' is {t.dtype}; only int8 activations are supported")
    if t.is_constant:
        fail(model, op, f"{what} '{t.name}' is a constant; expected an activation")
    if len(t.scales) != 1 or t.scale <= 0:
        fail(model, op, f"{what} '{t.name}' is not per-tensor quantised")
    if rank is not None and len(t.shape) != rank:
        fail(model, op, f"{what} '{t.name}' has shape {t.shape}; expected rank {rank}")
    if len(t.shape) >= 2 and t.shape[0] != 1:
        fail(model, op, f"{what} '{t.name}' has batch {t.shape[0]}; only batch 1 is supported")
    return t


def constant(model: Model, op: Operator, i: int, dtype: str) -> Tensor | None:
    """Operand `i` as a constant of `dtype`, or None when the optional operand is absent."""
    if i >= len(op.inputs) or op.inputs[i] < 0:
        return None
    t = model.tensors[op.inputs[i]]
    if not t.is_constant:
        fail(model, op, f"input {i} '{t.name}' must be a constant")
    if t.dtype != dtype:
        fail(model, op, f"input {i} '{t.name}' is {t.dtype}; expected {dtype}")
    return t


def act_range(model: Model, op: Operator, fused: int, out: Tensor) -> tuple[int, int]:
    try:
        return activation_range(fused, out.scale, out.zero_point)
    except ValueError as exc:
        fail(model, op, str(exc))


def padding(model: Model, op: Operator, mode: int, stride: int, dilation: int, in_size: int,
            k: int, out_size: int) -> int:
    """TFLM ComputePaddingWithOffset: the leading pad; checks the output size too."""
    eff = (k - 1) * dilation + 1
    expected = (in_size + stride - 1) // stride if mode == 0 else (in_size + stride - eff) // stride
    if mode not in (0, 1) or stride < 1 or expected != out_size:
        fail(model, op, f"output size {out_size} does not follow from input {in_size}, "
                        f"kernel {k}, stride {stride}, padding mode {mode}")
    total = max((out_size - 1) * stride + eff - in_size, 0)
    return total // 2


def channel_multipliers(model: Model, op: Operator, inp: Tensor, filt: Tensor, out: Tensor,
                        n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per-output-channel (multiplier, shift), TFLM PopulateConvolutionQuantizationParams."""
    if len(filt.scales) not in (1, n):
        fail(model, op, f"filter has {len(filt.scales)} scales for {n} channels")
    if any(z != 0 for z in filt.zero_points):
        fail(model, op, "filter zero points must be 0 (symmetric int8 weights)")
    mults, shifts = [], []
    for c in range(n):
        fs = filt.scales[c] if len(filt.scales) == n else filt.scales[0]
        m, s = quantize_multiplier(inp.scale * fs / out.scale)
        mults.append(m)
        shifts.append(s)
    return tuple(mults), tuple(shifts)


def ints(a: np.ndarray) -> tuple[int, ...]:
    return tuple(int(v) for v in np.asarray(a).reshape(-1))


def same_quant(a: Tensor, b: Tensor) -> bool:
    return a.scale == b.scale and a.zero_point == b.zero_point


def folded_bias(model: Model, op: Operator, bias: Tensor | None, filter_sums: np.ndarray,
                input_zero_point: int) -> tuple[int, ...]:
    """bias - zp * sum(filter) per output channel: the kernels then need plain dot products
    (taps outside the input read zp, which contributes exactly what TFLM skips)."""
    b = np.zeros(len(filter_sums), dtype=np.int64) if bias is None \
        else bias.data.reshape(-1).astype(np.int64)
    eff = b - np.int64(input_zero_point) * filter_sums.astype(np.int64)
    if eff.min(initial=0) < -(1 << 31) or eff.max(initial=0) >= 1 << 31:
        fail(model, op, "bias with the zero point folded in overflows int32")
    return ints(eff)


def pack_groups(rows: np.ndarray, row_len: int, group: int = 2) -> np.ndarray:
    """[n, k] weights in the order the blocked kernels read them (conv_2d.h: group 2,
    fully_connected.h: group 4): rows zero-padded to row_len (a multiple of 4) and to a
    multiple of `group` rows, then per group of rows and per 4 columns, 4 of each row."""
    n, k = rows.shape
    padded = np.zeros((-(-n // group) * group, row_len), dtype=np.int64)
    padded[:n, :k] = rows
    return padded.reshape(-1, group, row_len // 4, 4).transpose(0, 2, 1, 3).reshape(-1)


def check_requant_range(model: Model, op: Operator, bias: Tensor | None, rows: np.ndarray,
                        input_zero_point: int, shifts: tuple[int, ...]) -> None:
    """The inlined requantisation of the matrix kernels (`ped_requant` in ped/kernels/simd.h)
    is exact while |acc * 2^max(shift, 0)| < 2^30. Bound acc per output channel from its
    weights (`rows`: [channels, taps]) and bias: |bias| + (128 + |zp|) * sum |w| covers both
    forms the kernels accumulate (bias + sum w (x - zp), and the folded bias + sum w x)."""
    n = rows.shape[0]
    b = np.zeros(n, dtype=np.int64) if bias is None \
        else np.abs(bias.data.reshape(-1).astype(np.int64))
    bound = b + (128 + abs(int(input_zero_point))) * np.abs(rows.astype(np.int64)).sum(axis=1)
    left = np.array([max(s, 0) for s in shifts] * (n // len(shifts)), dtype=np.int64)
    bad = np.nonzero(bound * (np.int64(1) << left) >= np.int64(1) << 30)[0]
    if bad.size:
        ch = int(bad[0])
        fail(model, op, f"output channel {ch}: the accumulator can reach {int(bound[ch])} "
                        f"(bias {int(b[ch])}), beyond the 2^30 the int8 kernels' "
                        "requantisation is exact for (a bias far larger than the channel's "
                        "weights allow; retrain with the bias regularised)")


def requant_records(mults: tuple[int, ...], shifts: tuple[int, ...], n: int) -> tuple[int, ...]:
    """`ped_requant_t` records (ped/kernels/quant_math.h) for n channels, flattened; one
    (multiplier, shift) pair is repeated for every channel."""
    pairs = list(zip(mults, shifts, strict=True))
    if len(pairs) == 1:
        pairs *= n
    return tuple(v for m, s in pairs for v in requant_record(m, s))
