"""TANH -> `ped_tanh` (the students' bounded output, B * tanh(u)); output 1/128, zp 0."""

from __future__ import annotations

import math

from pipeline.codegen.ir import Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.quant import round_away
from pipeline.codegen.reader import Model, Operator

INPUT_INTEGER_BITS = 4


def lower(model: Model, op: Operator) -> Kernel:
    return Kernel("tanh", "ped_tanh_params_t", q4_fields(model, op, 1.0 / 128, 0),
                  (op.inputs[0],), (op.outputs[0],), op.index)


def q4_fields(model: Model, op: Operator, out_scale: float, out_zero_point: int) -> tuple:
    """Params of the Q4.27 fixed-point activations (TANH, LOGISTIC), as TFLM's Prepare."""
    inp = c.activation(model, op, 0)
    out = c.output(model, op, 0)
    if out.scale != out_scale or out.zero_point != out_zero_point:
        c.fail(model, op, f"output must have scale {out_scale!r} and zero point "
                          f"{out_zero_point}, got {out.scale!r}, {out.zero_point}")
    if inp.size != out.size:
        c.fail(model, op, "input and output sizes differ")
    # TFLM TanhPrepare: frexp of scale * 2^27, no renormalisation of a rounded-up mantissa
    q, left = math.frexp(inp.scale * (1 << (31 - INPUT_INTEGER_BITS)))
    mult = round_away(q * (1 << 31))
    if mult >= 1 << 31 or not 0 <= left <= 30:
        c.fail(model, op, f"input scale {inp.scale!r} is out of the int8 tanh range")
    radius = math.floor(1.0 * ((1 << INPUT_INTEGER_BITS) - 1)
                        * (1 << (31 - INPUT_INTEGER_BITS)) / (1 << left))
    return (("size", Int(out.size)), ("input_zero_point", Int(inp.zero_point)),
            ("input_range_radius", Int(radius)), ("input_multiplier", Int(mult)),
            ("input_left_shift", Int(left)))
