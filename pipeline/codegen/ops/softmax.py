"""SOFTMAX over the last axis -> `ped_softmax` (int8 in, int8 out with scale 1/256, zp -128)."""

from __future__ import annotations

import math

from pipeline.codegen.ir import Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.quant import quantize_multiplier
from pipeline.codegen.reader import Model, Operator

SCALED_DIFF_BITS = 5


def lower(model: Model, op: Operator) -> Kernel:
    inp = c.activation(model, op, 0)
    out = c.output(model, op, 0)
    if out.zero_point != -128 or out.scale != 1.0 / 256:
        c.fail(model, op, f"output must have scale 1/256 and zero point -128, got "
                          f"{out.scale!r}, {out.zero_point}")
    if inp.shape != out.shape:
        c.fail(model, op, "input and output shapes differ")
    beta = float(op.options.beta)
    real = min(beta * inp.scale * (1 << (31 - SCALED_DIFF_BITS)), (1 << 31) - 1.0)
    mult, left = quantize_multiplier(real)
    if left < 0:
        c.fail(model, op, "beta * input scale is too small for the int8 softmax")
    radius = math.floor(1.0 * ((1 << SCALED_DIFF_BITS) - 1)
                        * (1 << (31 - SCALED_DIFF_BITS)) / (1 << left))
    depth = inp.shape[-1]
    fields = (("outer", Int(inp.size // depth)), ("depth", Int(depth)),
              ("input_multiplier", Int(mult)), ("input_left_shift", Int(left)),
              ("diff_min", Int(-radius)))
    return Kernel("softmax", "ped_softmax_params_t", fields, (inp.index,), (out.index,),
                  op.index)
