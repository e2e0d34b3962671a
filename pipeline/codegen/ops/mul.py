"""MUL -> `ped_mul`: two same-shape int8 operands, or one of a single element (activation or
constant, e.g. a fixed output scale B in B * tanh(u))."""

from __future__ import annotations

from pipeline.codegen.ir import CArray, Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.quant import quantize_multiplier
from pipeline.codegen.reader import Model, Operator, Tensor


def _operand(model: Model, op: Operator, i: int) -> tuple[Tensor, int | CArray]:
    t = model.tensors[op.inputs[i]]
    if t.is_constant:
        if t.dtype != "int8" or len(t.scales) != 1:
            c.fail(model, op, f"constant input {i} must be per-tensor int8")
        return t, CArray(f"input{i + 1}", "int8_t", c.ints(t.data))
    return c.activation(model, op, i), t.index


def lower(model: Model, op: Operator) -> Kernel:
    (a, ia), (b, ib) = _operand(model, op, 0), _operand(model, op, 1)
    out = c.output(model, op, 0)
    for t in (a, b):
        if t.size not in (1, out.size):
            c.fail(model, op, f"broadcasting MUL {a.shape} * {b.shape} is not supported")
    if isinstance(ia, CArray) and isinstance(ib, CArray):
        c.fail(model, op, "both operands are constants")
    mult, shift = quantize_multiplier(a.scale * b.scale / out.scale)
    fused = op.options.fusedActivationFunction if op.options is not None else 0
    lo, hi = c.act_range(model, op, fused, out)
    fields = (
        ("size", Int(out.size)),
        ("input1_stride", Int(0 if a.size == 1 and out.size > 1 else 1)),
        ("input2_stride", Int(0 if b.size == 1 and out.size > 1 else 1)),
        ("input1_offset", Int(-a.zero_point)), ("input2_offset", Int(-b.zero_point)),
        ("output_offset", Int(out.zero_point)),
        ("output_multiplier", Int(mult)), ("output_shift", Int(shift)),
        ("act_min", Int(lo)), ("act_max", Int(hi)),
    )
    return Kernel("mul", "ped_mul_params_t", fields, (ia, ib), (out.index,), op.index,
                  out.size)
