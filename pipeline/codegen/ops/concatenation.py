"""CONCATENATION of int8 activations sharing the output's quantisation -> `ped_concatenation`."""

from __future__ import annotations

import math

from pipeline.codegen.ir import ArrayRef, CArray, Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.reader import Model, Operator


def lower(model: Model, op: Operator) -> Kernel:
    out = c.output(model, op, 0)
    ins = [c.activation(model, op, i) for i in range(len(op.inputs))]
    rank = len(out.shape)
    axis = op.options.axis + rank if op.options.axis < 0 else op.options.axis
    if op.options.fusedActivationFunction != 0:
        c.fail(model, op, "a fused activation on CONCATENATION is not supported")
    for t in ins:
        if len(t.shape) != rank:
            c.fail(model, op, f"input '{t.name}' has rank {len(t.shape)}, output {rank}")
        if not c.same_quant(t, out):
            c.fail(model, op, f"input '{t.name}' is quantised differently from the output "
                              "(TFLM does not requantise in CONCATENATION)")
    outer = math.prod(out.shape[:axis])
    chunks = tuple(math.prod(t.shape[axis:]) for t in ins)
    if outer * sum(chunks) != out.size:
        c.fail(model, op, "input shapes do not add up to the output shape")
    fields = (("n_inputs", Int(len(ins))), ("outer", Int(outer)),
              ("chunk", ArrayRef(CArray("chunk", "int32_t", chunks))))
    return Kernel("concatenation", "ped_concatenation_params_t", fields,
                  tuple(t.index for t in ins), (out.index,), op.index, list_input=True)
