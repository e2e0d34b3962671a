"""QUANTIZE int8 -> int8 (a requantisation the converter inserts) -> `ped_quantize`."""

from __future__ import annotations

from pipeline.codegen.ir import Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.quant import quantize_multiplier
from pipeline.codegen.reader import Model, Operator


def lower(model: Model, op: Operator) -> Kernel:
    inp = c.activation(model, op, 0)
    out = c.output(model, op, 0)
    mult, shift = quantize_multiplier(inp.scale / out.scale)
    fields = (("size", Int(out.size)), ("input_zero_point", Int(inp.zero_point)),
              ("output_zero_point", Int(out.zero_point)), ("multiplier", Int(mult)),
              ("shift", Int(shift)))
    return Kernel("quantize", "ped_quantize_params_t", fields, (inp.index,), (out.index,),
                  op.index)
