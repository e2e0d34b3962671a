"""PAD / PADV2 (Keras ZeroPadding1D/2D) -> `ped_pad`: pad value = output zero point (real 0),
or PADV2's int8 constant."""

from __future__ import annotations

from pipeline.codegen.ir import Int, IntList, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.reader import Model, Operator


def lower(model: Model, op: Operator) -> Kernel:
    inp = c.activation(model, op, 0)
    pads = c.constant(model, op, 1, "int32")
    out = c.output(model, op, 0)
    rank = len(inp.shape)
    if pads is None or pads.shape != (rank, 2) or not 1 <= rank <= 4:
        c.fail(model, op, "needs constant [rank, 2] paddings and a rank 1..4 input")
    if not c.same_quant(inp, out):
        c.fail(model, op, "input and output quantisation differ")
    before = [int(v) for v in pads.data[:, 0]]
    after = [int(v) for v in pads.data[:, 1]]
    if min(before + after) < 0:
        c.fail(model, op, "negative paddings are not supported")
    if tuple(d + b + a for d, b, a in zip(inp.shape, before, after, strict=True)) != out.shape:
        c.fail(model, op, f"paddings do not turn {inp.shape} into {out.shape}")
    pad_value = out.zero_point
    if op.op == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        v = c.constant(model, op, 2, "int8")
        if v is None or v.size != 1:
            c.fail(model, op, "PADV2 needs a one-element int8 constant")
        pad_value = int(v.data.reshape(-1)[0])
    pad4 = 4 - rank
    fields = (("in_dims", IntList((1,) * pad4 + inp.shape)),
              ("out_dims", IntList((1,) * pad4 + out.shape)),
              ("before", IntList((0,) * pad4 + tuple(before))),
              ("pad_value", Int(pad_value)))
    return Kernel("pad", "ped_pad_params_t", fields, (inp.index,), (out.index,), op.index)
