"""Lower one stage's model into kernel calls and decide where each tensor lives.

A tensor's storage is its alias root (RESHAPE-like ops share bytes). Each root lives in
one place: the stage's `input` pointer (model input 0 = x), a connection slot in the arena's
persistent region (feature inputs, read from an earlier stage, and feature outputs), the
caller's `logits` buffer (the logits output, when its kernel is the last one; otherwise it is
computed in scratch and copied out after the last kernel), or the shared scratch region
(everything else, with a lifetime in kernel-call order for the planner).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.codegen.ir import Alias, Kernel
from pipeline.codegen.ops import LOWERINGS, SHAPE_OPS
from pipeline.codegen.ops.common import FIX
from pipeline.codegen.planner import Block
from pipeline.codegen.reader import Model, read_model
from pipeline.errors import PedError


@dataclass(frozen=True)
class Location:
    """kind: "input" (x), "feature_in" (slot of (stage, output)), "logits",
    "feature_out" (slot of (this stage, output)), "scratch" (planned per stage)."""

    kind: str
    slot: tuple[int, int] | None = None


@dataclass(frozen=True)
class StageProgram:
    number: int                      # 1-based
    name: str
    x_input: int                     # which model input is x
    logits_output: int               # which model output is the logits
    model: Model
    kernels: tuple[Kernel, ...]
    root: dict[int, int]             # tensor index -> storage root
    locations: dict[int, Location]   # root -> where it lives
    scratch: tuple[Block, ...]       # scratch roots, key "t<root>", lifetimes in call order
    logits_copy: bool = False        # logits computed before the last kernel: copied at the end

    @property
    def macs(self) -> int:
        return sum(k.macs for k in self.kernels)

    @property
    def x(self):
        return self.model.tensors[self.model.inputs[self.x_input]]

    @property
    def logits(self):
        return self.model.tensors[self.model.outputs[self.logits_output]]

    @property
    def feature_outputs(self) -> list[int]:
        return [j for j in range(len(self.model.outputs)) if j != self.logits_output]


def _fail(model: Model, problem: str) -> PedError:
    return PedError(f"{model.source}: {problem}", FIX)


def compile_stage(number: int, name: str, tflite: bytes,
                  feature_inputs: tuple[tuple[int, int] | None, ...],
                  logits_output: int = 0) -> StageProgram:
    """Validate and lower a stage model; every refusal names the layer and op."""
    model = read_model(tflite, f"{name}.tflite")
    if len(feature_inputs) != len(model.inputs):
        raise _fail(model, f"has {len(model.inputs)} inputs, stages.json lists "
                           f"{len(feature_inputs)}")
    if sum(f is None for f in feature_inputs) != 1:
        raise _fail(model, "exactly one input must be x, the others features of earlier stages")
    if not 0 <= logits_output < len(model.outputs):
        raise _fail(model, f"has no output {logits_output} for the logits")
    for op in model.operators:
        if op.op not in LOWERINGS:
            raise PedError(f"{model.layer_name(op)}: op {op.op} is not supported by the "
                           "ped kernels", FIX)
    _check_shape_ops(model)
    root = {t.index: t.index for t in model.tensors}
    kernels: list[Kernel] = []
    for op in model.operators:
        lowered = LOWERINGS[op.op](model, op)
        if isinstance(lowered, Alias):
            root[lowered.target] = root[lowered.source]
        elif isinstance(lowered, Kernel):
            kernels.append(lowered)
    for t in list(root):
        while root[t] != root[root[t]]:
            root[t] = root[root[t]]
    locations: dict[int, Location] = {}

    def place(tensor: int, loc: Location, what: str) -> None:
        r = root[tensor]
        if r in locations and locations[r] != loc:
            raise _fail(model, f"{what} '{model.tensors[tensor].name}' shares storage with "
                               "another model input/output; export it as a separate tensor")
        locations[r] = loc

    for i, t in enumerate(model.inputs):
        _check_io(model, t, f"input {i}")
        src = feature_inputs[i]
        place(t, Location("input") if src is None else Location("feature_in", src),
              f"input {i}")
    for j, t in enumerate(model.outputs):
        _check_io(model, t, f"output {j}")
        place(t, Location("logits") if j == logits_output
              else Location("feature_out", (number, j)), f"output {j}")
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for n, k in enumerate(kernels):
        for t in k.outputs:
            r = root[t]
            if locations.get(r, Location("scratch")).kind in ("input", "feature_in"):
                raise _fail(model, f"operator #{k.source_op} writes into a model input")
            first.setdefault(r, n)
            last[r] = max(last.get(r, n), n)
        for t in k.tensor_inputs:
            r = root[t]
            last[r] = max(last.get(r, n), n)
    lr = root[model.outputs[logits_output]]
    if lr not in first:
        raise _fail(model, "the logits output is not computed by any operator")
    logits_copy = first[lr] != len(kernels) - 1
    if logits_copy:
        # kernels run after the logits are final: keep them in scratch and copy them out at
        # the end, so that an aborted stage never touches the caller's logits
        del locations[lr]
        last[lr] = len(kernels) - 1
    scratch = []
    for r in sorted(first):
        if r not in locations:
            locations[r] = Location("scratch")
            scratch.append(Block(f"t{r}", model.tensors[r].size, first[r], last[r]))
    # kernel work buffers (im2col columns, pad rows): alive during their own call only
    scratch += [Block(f"k{n}", k.scratch_bytes, n, n) for n, k in enumerate(kernels)
                if k.scratch_bytes]
    return StageProgram(number, name, feature_inputs.index(None), logits_output, model,
                        tuple(kernels), root, locations, tuple(scratch), logits_copy)


def check_model(tflite: bytes, source: str = "model.tflite") -> None:
    """Raise the PedError codegen would raise for any operator of this model (ops, options,
    dtypes, quantisation rules), without stage wiring: for `ped quantize` to refuse early."""
    model = read_model(tflite, source)
    for op in model.operators:
        if op.op not in LOWERINGS:
            raise PedError(f"{model.layer_name(op)}: op {op.op} is not supported by the "
                           "ped kernels", FIX)
    _check_shape_ops(model)
    for op in model.operators:
        LOWERINGS[op.op](model, op)


def _check_io(model: Model, t: int, what: str) -> None:
    tensor = model.tensors[t]
    if tensor.dtype != "int8":
        raise _fail(model, f"model {what} '{tensor.name}' is {tensor.dtype}; export full int8 "
                           "(inference_input_type = inference_output_type = tf.int8)")


def _check_shape_ops(model: Model) -> None:
    """Folded shape arithmetic may only feed other shape ops or a RESHAPE's shape operand."""
    shape_tensors = {t for op in model.operators if op.op in SHAPE_OPS for t in op.outputs}
    for op in model.operators:
        for pos, t in enumerate(op.inputs):
            if t in shape_tensors and op.op not in SHAPE_OPS and not (
                    op.op == "RESHAPE" and pos == 1):
                raise PedError(f"{model.layer_name(op)}: reads the computed shape tensor "
                               f"'{model.tensors[t].name}' as data; not supported", FIX)
    for t in model.outputs:
        if t in shape_tensors:
            raise _fail(model, "a model output is a computed shape")
