"""ADD of two same-shape int8 activations -> `ped_add` (TFLM's left_shift-20 scheme)."""

from __future__ import annotations

from pipeline.codegen.ir import Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.quant import quantize_multiplier
from pipeline.codegen.reader import Model, Operator

LEFT_SHIFT = 20


def lower(model: Model, op: Operator) -> Kernel:
    a = c.activation(model, op, 0)
    b = c.activation(model, op, 1)
    out = c.output(model, op, 0)
    if a.shape != b.shape or a.size != out.size:
        c.fail(model, op, f"broadcasting ADD {a.shape} + {b.shape} is not supported")
    twice_max = 2.0 * max(a.scale, b.scale)
    m1, s1 = quantize_multiplier(a.scale / twice_max)
    m2, s2 = quantize_multiplier(b.scale / twice_max)
    mo, so = quantize_multiplier(twice_max / ((1 << LEFT_SHIFT) * out.scale))
    if max(s1, s2, so) > 0:
        c.fail(model, op, "input/output scales give a multiplier above 1")
    fused = op.options.fusedActivationFunction if op.options is not None else 0
    lo, hi = c.act_range(model, op, fused, out)
    fields = (
        ("size", Int(out.size)), ("input1_offset", Int(-a.zero_point)),
        ("input2_offset", Int(-b.zero_point)), ("output_offset", Int(out.zero_point)),
        ("left_shift", Int(LEFT_SHIFT)),
        ("input1_multiplier", Int(m1)), ("input1_shift", Int(s1)),
        ("input2_multiplier", Int(m2)), ("input2_shift", Int(s2)),
        ("output_multiplier", Int(mo)), ("output_shift", Int(so)),
        ("act_min", Int(lo)), ("act_max", Int(hi)),
    )
    return Kernel("add", "ped_add_params_t", fields, (a.index, b.index), (out.index,),
                  op.index)
