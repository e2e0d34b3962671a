"""AVERAGE_POOL_2D -> `ped_average_pool_2d` (also Keras AveragePooling1D)."""

from __future__ import annotations

from pipeline.codegen.ir import Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.reader import Model, Operator

KERNEL = "average_pool_2d"


def pool_fields(model: Model, op: Operator) -> tuple[tuple, int, int]:
    """Params shared by both pools: (fields, input index, output index)."""
    o = op.options
    inp = c.activation(model, op, 0, rank=4)
    out = c.output(model, op, 0, rank=4)
    if not c.same_quant(inp, out):
        c.fail(model, op, "input and output quantisation differ; pooling does not requantise")
    _, in_h, in_w, ch = inp.shape
    _, out_h, out_w, out_c = out.shape
    if out_c != ch:
        c.fail(model, op, f"channels change from {ch} to {out_c}")
    pad_h = c.padding(model, op, o.padding, o.strideH, 1, in_h, o.filterHeight, out_h)
    pad_w = c.padding(model, op, o.padding, o.strideW, 1, in_w, o.filterWidth, out_w)
    lo, hi = c.act_range(model, op, o.fusedActivationFunction, out)
    fields = (
        ("in_h", Int(in_h)), ("in_w", Int(in_w)), ("channels", Int(ch)),
        ("out_h", Int(out_h)), ("out_w", Int(out_w)),
        ("k_h", Int(o.filterHeight)), ("k_w", Int(o.filterWidth)),
        ("stride_h", Int(o.strideH)), ("stride_w", Int(o.strideW)),
        ("pad_h", Int(pad_h)), ("pad_w", Int(pad_w)),
        ("act_min", Int(lo)), ("act_max", Int(hi)),
    )
    return fields, inp.index, out.index


def lower(model: Model, op: Operator) -> Kernel:
    fields, i, o = pool_fields(model, op)
    return Kernel(KERNEL, "ped_pool_2d_params_t", fields, (i,), (o,), op.index,
                  model.tensors[i].size)
