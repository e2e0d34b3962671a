"""MEAN (Keras GlobalAveragePooling1D/2D) -> `ped_mean`, TFLM's integer QuantizedMeanOrSum."""

from __future__ import annotations

import math

from pipeline.codegen.ir import Int, IntList, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.quant import quantize_multiplier
from pipeline.codegen.reader import Model, Operator


def mean_multiplier(in_scale: float, out_scale: float, count: int) -> tuple[int, int]:
    """TFLM: QuantizeMultiplier(in/out) at Prepare, then 1/count folded in at Eval."""
    mult, shift = quantize_multiplier(in_scale / out_scale)
    s = min(count.bit_length() - 1, 32, 31 + shift)
    return (mult << s) // count, shift - s


def lower(model: Model, op: Operator) -> Kernel:
    inp = c.activation(model, op, 0)
    axis = c.constant(model, op, 1, "int32")
    out = c.output(model, op, 0)
    rank = len(inp.shape)
    if axis is None or not 1 <= rank <= 4:
        c.fail(model, op, "needs a constant axis and an input of rank 1..4")
    axes = sorted({int(a) + rank if int(a) < 0 else int(a) for a in axis.data.reshape(-1)})
    if any(not 0 <= a < rank for a in axes):
        c.fail(model, op, f"axis {axes} out of range for rank {rank}")
    pad = 4 - rank
    dims = (1,) * pad + inp.shape
    reduce = tuple(1 if a - pad in axes else 0 for a in range(4))
    count = math.prod(inp.shape[a] for a in axes)
    if out.size * count != inp.size:
        c.fail(model, op, f"output shape {out.shape} does not match the reduction")
    mult, shift = mean_multiplier(inp.scale, out.scale, count)
    if not -31 <= shift <= 30:
        c.fail(model, op, f"requantisation shift {shift} out of range")
    fields = (
        ("dims", IntList(dims)), ("reduce", IntList(reduce)), ("count", Int(count)),
        ("input_zero_point", Int(inp.zero_point)), ("output_zero_point", Int(out.zero_point)),
        ("multiplier", Int(mult)), ("shift", Int(shift)),
    )
    return Kernel("mean", "ped_mean_params_t", fields, (inp.index,), (out.index,), op.index,
                  inp.size)
