"""SHAPE, STRIDED_SLICE, PACK on int32 shape vectors (Keras Flatten with a dynamic batch):
folded away at codegen, since every shape is static. The stage compiler checks that their
results only ever feed a RESHAPE's shape operand."""

from __future__ import annotations

from pipeline.codegen.ops import common as c
from pipeline.codegen.reader import Model, Operator


def lower(model: Model, op: Operator) -> None:
    for i in op.outputs:
        if model.tensors[i].dtype != "int32":
            c.fail(model, op, "only int32 shape arithmetic can be folded")
    return None
