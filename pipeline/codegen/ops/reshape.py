"""RESHAPE, EXPAND_DIMS, SQUEEZE: no code, the output aliases the input's bytes."""

from __future__ import annotations

from pipeline.codegen.ir import Alias
from pipeline.codegen.ops import common as c
from pipeline.codegen.reader import Model, Operator


def lower(model: Model, op: Operator) -> Alias:
    inp = model.tensors[op.inputs[0]]
    out = model.tensors[op.outputs[0]]
    if inp.dtype != "int8" or out.dtype != "int8" or inp.is_constant:
        c.fail(model, op, "only int8 activations can be reshaped")
    if inp.size != out.size or not c.same_quant(inp, out):
        c.fail(model, op, "reshape changes the element count or the quantisation")
    return Alias(inp.index, out.index)
