"""The op writers, and THE list of TFLite ops codegen supports (one place).

Each writer shares its name with the C kernel it calls (`ops/conv_2d.py` ->
`firmware/kernels/conv_2d.c`). `ped quantize` imports `SUPPORTED_OPS` / `unsupported_ops`
to refuse a model early.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.codegen.ir import Alias, Kernel
from pipeline.codegen.ops import (
    add,
    average_pool_2d,
    concatenation,
    conv_2d,
    depthwise_conv_2d,
    fully_connected,
    logistic,
    max_pool_2d,
    mean,
    mul,
    pad,
    quantize,
    reshape,
    shape,
    softmax,
    tanh,
)
from pipeline.codegen.reader import Model, Operator

Lowering = Callable[[Model, Operator], Kernel | Alias | None]

LOWERINGS: dict[str, Lowering] = {
    "ADD": add.lower,
    "AVERAGE_POOL_2D": average_pool_2d.lower,
    "CONCATENATION": concatenation.lower,
    "CONV_2D": conv_2d.lower,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d.lower,
    "FULLY_CONNECTED": fully_connected.lower,
    "LOGISTIC": logistic.lower,
    "MAX_POOL_2D": max_pool_2d.lower,
    "MEAN": mean.lower,
    "MUL": mul.lower,
    "PAD": pad.lower,
    "PADV2": pad.lower,
    "QUANTIZE": quantize.lower,
    "SOFTMAX": softmax.lower,
    "TANH": tanh.lower,
    # no code: aliases of their input
    "RESHAPE": reshape.lower,
    "EXPAND_DIMS": reshape.lower,
    "SQUEEZE": reshape.lower,
    # folded: static shape arithmetic feeding RESHAPE
    "SHAPE": shape.lower,
    "STRIDED_SLICE": shape.lower,
    "PACK": shape.lower,
}
SHAPE_OPS = frozenset({"SHAPE", "STRIDED_SLICE", "PACK"})
SUPPORTED_OPS = frozenset(LOWERINGS)


def unsupported_ops(model: Model) -> list[str]:
    """Layer names of the operators codegen cannot handle (empty when all are supported)."""
    return [f"{model.layer_name(op)}: op {op.op} is not supported"
            for op in model.operators if op.op not in LOWERINGS]
