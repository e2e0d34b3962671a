"""LOGISTIC (sigmoid) -> `ped_logistic`; output scale 1/256, zero point -128."""

from __future__ import annotations

from pipeline.codegen.ir import Kernel
from pipeline.codegen.ops.tanh import q4_fields
from pipeline.codegen.reader import Model, Operator


def lower(model: Model, op: Operator) -> Kernel:
    return Kernel("logistic", "ped_logistic_params_t", q4_fields(model, op, 1.0 / 256, -128),
                  (op.inputs[0],), (op.outputs[0],), op.index)
