"""Read a .tflite flatbuffer into small typed, immutable objects.

Uses the flatbuffer schema module shipped inside the `tflite-micro` package (the same schema
the TFLM interpreter, our golden reference, reads). Only what codegen needs is kept:
tensors (shape, dtype, quantisation, constant data) and operators (name, operands, options)
of the first subgraph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

from pipeline.errors import PedError

_DTYPES: dict[int, tuple[str, Any]] = {
    fb.TensorType.FLOAT32: ("float32", np.float32),
    fb.TensorType.INT32: ("int32", np.int32),
    fb.TensorType.UINT8: ("uint8", np.uint8),
    fb.TensorType.INT64: ("int64", np.int64),
    fb.TensorType.INT16: ("int16", np.int16),
    fb.TensorType.INT8: ("int8", np.int8),
    fb.TensorType.BOOL: ("bool", np.bool_),
}
_OP_NAMES = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}


@dataclass(frozen=True)
class Tensor:
    """One tensor. `scales` are the float32 scales as Python floats (exact); `data` is the
    constant buffer (typed, shaped) or None for activations."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int
    data: np.ndarray | None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def scale(self) -> float:
        """The per-tensor scale (0.0 when not quantised)."""
        return self.scales[0] if self.scales else 0.0

    @property
    def zero_point(self) -> int:
        return self.zero_points[0] if self.zero_points else 0


@dataclass(frozen=True)
class Operator:
    """One operator: builtin name (e.g. "CONV_2D"), operand tensor indices (-1 = absent) and
    the schema's options object (read only)."""

    index: int
    op: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: Any


@dataclass(frozen=True)
class Model:
    """The first subgraph of a .tflite model."""

    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    source: str

    def layer_name(self, op: Operator) -> str:
        """How errors name a layer: file, operator index, op and its first output's name."""
        out = self.tensors[op.outputs[0]].name if op.outputs else "?"
        return f"{self.source}: operator #{op.index} {op.op} (output tensor '{out}')"


def _tensor(index: int, t: Any, buffers: list[Any]) -> Tensor:
    dtype_name, np_dtype = _DTYPES.get(t.type, (f"type{t.type}", None))
    shape = tuple(int(d) for d in t.shape) if t.shape is not None else ()
    q = t.quantization
    scales = tuple(float(s) for s in q.scale) if q is not None and q.scale is not None else ()
    zps = tuple(int(z) for z in q.zeroPoint) if q is not None and q.zeroPoint is not None else ()
    qdim = int(q.quantizedDimension) if q is not None else 0
    data = None
    buf = buffers[t.buffer] if 0 < t.buffer < len(buffers) else None
    if buf is not None and buf.data is not None and len(buf.data) > 0 and np_dtype is not None:
        raw = np.asarray(buf.data, dtype=np.uint8).tobytes()
        data = np.frombuffer(raw, dtype=np_dtype).reshape(shape)
    name = t.name.decode() if isinstance(t.name, bytes) else str(t.name or "")
    return Tensor(index, name, shape, dtype_name, scales, zps, qdim, data)


def read_model(data: bytes, source: str = "model.tflite") -> Model:
    """Parse .tflite bytes; a model with several subgraphs or external buffers is refused."""
    try:
        m = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(bytearray(data), 0))
    except Exception as exc:  # the flatbuffer reader raises plain errors on garbage
        raise PedError(f"{source} is not a readable .tflite file ({exc})",
                       "re-run `ped quantize`") from None
    if not m.subgraphs:
        raise PedError(f"{source} has no subgraph", "re-run `ped quantize`")
    if len(m.subgraphs) != 1:
        raise PedError(f"{source} has {len(m.subgraphs)} subgraphs; codegen supports one",
                       "export students without control flow")
    g = m.subgraphs[0]
    buffers = list(m.buffers or [])
    tensors = tuple(_tensor(i, t, buffers) for i, t in enumerate(g.tensors))
    ops = []
    for i, o in enumerate(g.operators or []):
        oc = m.operatorCodes[o.opcodeIndex]
        code = max(int(oc.builtinCode), int(oc.deprecatedBuiltinCode))
        name = _OP_NAMES.get(code, f"BUILTIN_{code}")
        if code == fb.BuiltinOperator.CUSTOM:
            name = f"CUSTOM:{oc.customCode.decode() if oc.customCode else '?'}"
        ins = tuple(int(v) for v in (o.inputs if o.inputs is not None else ()))
        outs = tuple(int(v) for v in (o.outputs if o.outputs is not None else ()))
        ops.append(Operator(i, name, ins, outs, o.builtinOptions))
    return Model(tensors, tuple(ops), tuple(int(v) for v in g.inputs),
                 tuple(int(v) for v in g.outputs), source)
