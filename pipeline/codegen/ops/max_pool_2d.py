"""MAX_POOL_2D -> `ped_max_pool_2d` (also Keras MaxPooling1D)."""

from __future__ import annotations

from pipeline.codegen.ir import Kernel
from pipeline.codegen.ops.average_pool_2d import pool_fields
from pipeline.codegen.reader import Model, Operator


def lower(model: Model, op: Operator) -> Kernel:
    fields, i, o = pool_fields(model, op)
    return Kernel("max_pool_2d", "ped_pool_2d_params_t", fields, (i,), (o,), op.index)
