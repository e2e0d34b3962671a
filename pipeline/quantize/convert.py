"""Keras student -> full-int8 `.tflite`, with a documented tensor order and exact connections.

Conversion: `TFLiteConverter` with `Optimize.DEFAULT`, a representative dataset drawn from the
train split, `TFLITE_BUILTINS_INT8` only and int8 inputs and outputs. Then two edits to the
flatbuffer (through TensorFlow's `flatbuffer_utils`, the maintained schema reader):

1. **Order.** The converter orders a model's outputs as it likes (features before logits was
   seen). The subgraph's inputs and outputs are re-ordered to the Keras model's order, read
   from the SignatureDef: inputs `[x, features read from earlier stages...]`, outputs
   `[logits, features later stages read...]`.
2. **Connections.** A feature tensor leaves stage j as int8 and enters stage k as int8. The
   quantization of stage k's matching input is set to exactly stage j's output scale and zero
   point. The consuming kernels compute their multipliers from tensor scales when they are
   prepared (TFLM and LiteRT alike), so this is an exact re-parameterisation, not a float round
   trip: the device passes the bytes on untouched.

Refusals name the layer: an op the converter cannot express in int8 builtins, a float tensor
left in the model (a float fallback), and an op outside the firmware's kernel set.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from pipeline.errors import PedError

INT8, INT32 = 9, 2  # TensorType values in the TFLite schema
ALLOWED_TENSOR_TYPES = {INT8, INT32}  # int32 for biases and shape operands


@dataclass(frozen=True)
class TensorQuant:
    scale: float
    zero_point: int

    def as_dict(self) -> dict:
        return {"scale": self.scale, "zero_point": self.zero_point}


def _flatbuffer_utils():
    from tensorflow.lite.tools import flatbuffer_utils

    return flatbuffer_utils


def convert_int8(model, representative: Iterable[dict[str, np.ndarray] | list[np.ndarray]]) \
        -> bytes:
    """Full-int8 conversion; the converter's own refusal is re-raised naming the layer."""
    import keras
    import tensorflow as tf

    samples = list(representative)
    # Batch 1, fixed: the device runs one example at a time, and a dynamic batch makes
    # Flatten lower to SHAPE/STRIDED_SLICE/PACK on float tensors instead of one RESHAPE.
    fixed_in = [keras.Input(batch_shape=(1, *t.shape[1:]), name=t.name) for t in model.inputs]
    outs = model(fixed_in if len(fixed_in) > 1 else fixed_in[0])
    model = keras.Model(fixed_in, outs, name=model.name)

    def rep() -> Iterator:
        yield from samples

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    from pipeline.quantize.runtimes import capture_c_output

    try:
        with capture_c_output():  # the converter prints pages of trace to stdout/stderr
            return bytes(conv.convert())
    except Exception as exc:  # ConverterError carries the failing op and location
        first = str(exc).strip().splitlines()
        detail = next((ln for ln in first if "error" in ln.lower()), first[0] if first else "")
        raise PedError(
            f"student '{model.name}' does not convert to int8 TFLite builtins: {detail.strip()}",
            "replace that layer with one the int8 kernel set supports "
            "(see docs/codegen.md for the list)",
        ) from exc


def op_names(model_obj) -> list[str]:
    fu = _flatbuffer_utils()
    from tensorflow.lite.python import schema_util

    names = []
    for op in model_obj.subgraphs[0].operators:
        code = model_obj.operatorCodes[op.opcodeIndex]
        builtin = schema_util.get_builtin_code_from_operator_code(code)
        names.append(fu.opcode_to_name(model_obj, op.opcodeIndex) if builtin is None
                     else _builtin_name(builtin))
    return names


def _builtin_name(code: int) -> str:
    from tensorflow.lite.python import schema_py_generated as schema

    for name, value in vars(schema.BuiltinOperator).items():
        if value == code and not name.startswith("_"):
            return name
    return f"BUILTIN_{code}"


def check_model(tflite: bytes, stage_name: str, supported_ops: frozenset[str] | None) -> list[str]:
    """Refuse float fallbacks and unsupported ops; return the op list."""
    fu = _flatbuffer_utils()
    m = fu.read_model_from_bytearray(bytearray(tflite))
    if len(m.subgraphs) != 1:
        raise PedError(f"{stage_name}: {len(m.subgraphs)} subgraphs; control flow is not "
                       "supported", "remove loops/conditionals from the student")
    sg = m.subgraphs[0]
    ops = op_names(m)

    def floats(op) -> list[str]:
        return [sg.tensors[t].name.decode() for t in [*op.inputs, *op.outputs]
                if t >= 0 and sg.tensors[t].type not in ALLOWED_TENSOR_TYPES]

    # a float fallback is DEQUANTIZE -> float op -> QUANTIZE: name the op in the middle (its
    # output tensor carries the Keras layer's name), not the conversions around it
    fallback = [i for i, op in enumerate(sg.operators) if floats(op)]
    if fallback:
        i = next((j for j in fallback if ops[j] not in ("QUANTIZE", "DEQUANTIZE")), fallback[0])
        op = sg.operators[i]
        out = sg.tensors[op.outputs[0]].name.decode() if len(op.outputs) else "?"
        raise PedError(
            f"{stage_name}: op {i} {ops[i]} (output '{out}') runs in float (a float fallback; "
            f"float tensor '{floats(op)[0]}')",
            "use layers with int8 kernels; every tensor must be int8 (int32 biases)",
        )
    for i, op in enumerate(sg.operators):
        if supported_ops is not None and ops[i] not in supported_ops:
            raise PedError(
                f"{stage_name}: op {i} {ops[i]} (output "
                f"'{sg.tensors[op.outputs[0]].name.decode()}') is not in the firmware's kernel set",
                f"use layers that lower to {', '.join(sorted(supported_ops))}",
            )
    return ops


def reorder_io(tflite: bytes, input_names: list[str], n_outputs: int) -> bytes:
    """Put subgraph inputs in Keras input order and outputs in Keras output order."""
    fu = _flatbuffer_utils()
    m = fu.read_model_from_bytearray(bytearray(tflite))
    sig = m.signatureDefs[0]
    by_name_in = {t.name.decode(): t.tensorIndex for t in sig.inputs}
    by_name_out = {t.name.decode(): t.tensorIndex for t in sig.outputs}
    try:
        inputs = [by_name_in[n] for n in input_names]
    except KeyError as exc:
        raise PedError(f"input {exc} not in the converted model's signature "
                       f"({', '.join(by_name_in)})", "give every student input a unique name") \
            from exc
    outputs = [by_name_out[f"output_{i}"] for i in range(n_outputs)]
    sg = m.subgraphs[0]
    assert sorted(inputs) == sorted(sg.inputs) and sorted(outputs) == sorted(sg.outputs)
    sg.inputs = np.asarray(inputs, dtype=np.int32)
    sg.outputs = np.asarray(outputs, dtype=np.int32)
    return bytes(fu.convert_object_to_bytearray(m))


def io_quant(tflite: bytes) -> tuple[list[TensorQuant], list[TensorQuant]]:
    """(inputs, outputs) quantization, in subgraph order."""
    fu = _flatbuffer_utils()
    m = fu.read_model_from_bytearray(bytearray(tflite))
    sg = m.subgraphs[0]

    def q(i: int) -> TensorQuant:
        qp = sg.tensors[i].quantization
        return TensorQuant(float(qp.scale[0]), int(qp.zeroPoint[0]))

    return [q(i) for i in sg.inputs], [q(i) for i in sg.outputs]


# Ops whose int8 kernels copy values without requantizing: their output must carry the same
# quantization as their input, so a re-parameterised input is propagated through them.
QUANT_PRESERVING = {"RESHAPE", "EXPAND_DIMS", "SQUEEZE", "MAX_POOL_2D"}
# Ops that require every input to share the output's quantization.
SAME_SCALE_OPS = {"CONCATENATION"}


class SameScaleConflict(PedError):
    """The re-parameterised tensor feeds an op that needs one scale on all its inputs."""


def _patch(tensor, quant: TensorQuant) -> None:
    qp = tensor.quantization
    qp.scale = np.asarray([quant.scale], dtype=np.float32)
    qp.zeroPoint = np.asarray([quant.zero_point], dtype=np.int64)


# Ops whose int32 bias is stored in units of input scale x weight scale.
BIASED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}


def _rescale_bias(m, sg, op, ratio: float) -> None:
    """The op's input scale is multiplied by 1/ratio: its int32 bias (units input scale x
    weight scale, fixed at conversion and not recomputed by the interpreter) is multiplied by
    ratio, and the bias tensor's recorded scales divided by it."""
    if len(op.inputs) < 3 or int(op.inputs[2]) < 0:
        return
    bt = sg.tensors[int(op.inputs[2])]
    buf = m.buffers[bt.buffer]
    if buf.data is None:
        return
    b = np.frombuffer(bytes(bytearray(buf.data)), dtype="<i4").astype(np.float64)
    q = np.clip(np.round(b * ratio), -(2 ** 31), 2 ** 31 - 1).astype("<i4")
    buf.data = np.frombuffer(q.tobytes(), dtype=np.uint8).copy()
    if bt.quantization is not None and bt.quantization.scale is not None:
        bt.quantization.scale = (np.asarray(bt.quantization.scale, np.float64)
                                 / ratio).astype(np.float32)


def _repin(tflite: bytes, start: int, quant: TensorQuant, backward: bool, what: str) -> bytes:
    """Set tensor `start`'s quantization to `quant` and propagate it through
    quantization-preserving ops: forward always, and backward to the producing op when
    `backward`. Every conv / fully-connected op reading a re-pinned tensor gets its int32 bias
    rescaled to the new input scale (the interpreter derives the requantization multipliers
    from the tensor scales, but adds the bias as stored). Refuses when a re-pinned tensor
    feeds an op that needs one scale on all its inputs (SameScaleConflict)."""
    fu = _flatbuffer_utils()
    m = fu.read_model_from_bytearray(bytearray(tflite))
    sg = m.subgraphs[0]
    ops = op_names(m)
    producer_of = {int(t): i for i, op in enumerate(sg.operators) for t in op.outputs}
    seen: set[int] = set()
    frontier = [start]
    while frontier:
        t = frontier.pop()
        if t in seen:
            continue
        seen.add(t)
        qp = sg.tensors[t].quantization
        old = float(qp.scale[0]) if qp is not None and qp.scale is not None and \
            len(qp.scale) else None
        _patch(sg.tensors[t], quant)
        if old is not None and old != quant.scale:
            for i, op in enumerate(sg.operators):
                if ops[i] in BIASED_OPS and int(op.inputs[0]) == t:
                    _rescale_bias(m, sg, op, old / quant.scale)
        p = producer_of.get(t)
        if backward and p is not None and ops[p] in QUANT_PRESERVING:
            frontier.append(int(sg.operators[p].inputs[0]))
        for i, op in enumerate(sg.operators):
            if t not in list(op.inputs):
                continue
            if ops[i] in QUANT_PRESERVING:
                frontier.append(int(op.outputs[0]))
            elif ops[i] in SAME_SCALE_OPS:
                raise SameScaleConflict(
                    f"{what} feeds op {i} {ops[i]}, which needs all its inputs at one scale",
                    "pass the connected feature through a conv or dense layer (or an ADD) "
                    "before concatenating it")
    return bytes(fu.convert_object_to_bytearray(m))


def _io_tensor(tflite: bytes, index: int, outputs: bool) -> int:
    m = _flatbuffer_utils().read_model_from_bytearray(bytearray(tflite))
    return int((m.subgraphs[0].outputs if outputs else m.subgraphs[0].inputs)[index])


def set_output_quant(tflite: bytes, index: int, quant: TensorQuant, stage_name: str) -> bytes:
    """Give subgraph output `index` exactly `quant` (the producer side of a connection).

    Used when the consuming stage cannot be re-parameterised (its feature input feeds a
    CONCATENATION, which shares one scale with its other inputs): the producing op then
    requantizes straight to the consumer's scale.
    """
    return _repin(tflite, _io_tensor(tflite, index, True), quant, True,
                  f"{stage_name}: output {index}")


def set_input_quant(tflite: bytes, index: int, quant: TensorQuant, stage_name: str) -> bytes:
    """Give subgraph input `index` exactly `quant` (a connection from an earlier stage).

    Every consuming op computes its multipliers from the tensor scales when it is prepared,
    so this re-parameterises the stage exactly.
    """
    return _repin(tflite, _io_tensor(tflite, index, False), quant, False,
                  f"{stage_name}: connection input {index}")
