"""MEAN (Keras GlobalAveragePooling1D/2D) -> `ped_mean`, TFLM's two int8 paths."""

from __future__ import annotations

import numpy as np

from pipeline.codegen.ir import Float32, Int, IntList, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.quant import f32
from pipeline.codegen.reader import Model, Operator


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
    if out.size != inp.size // int(np.prod([inp.shape[a] for a in axes])):
        c.fail(model, op, f"output shape {out.shape} does not match the reduction")
    use_float = not c.same_quant(inp, out)
    scale = f32(np.float32(inp.scale) / np.float32(out.scale))
    bias = f32(np.float32(-inp.zero_point) * np.float32(scale))
    fields = (
        ("dims", IntList(dims)), ("reduce", IntList(reduce)),
        ("use_float", Int(1 if use_float else 0)),
        ("scale", Float32(scale if use_float else 0.0)),
        ("bias", Float32(bias if use_float else 0.0)),
        ("output_zero_point", Int(out.zero_point)),
    )
    return Kernel("mean", "ped_mean_params_t", fields, (inp.index,), (out.index,), op.index,
                  inp.size)
