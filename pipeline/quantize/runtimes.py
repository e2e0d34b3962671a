"""Run a chain of int8 stages on the host, under TFLM or LiteRT's reference kernels.

A chain mirrors the device: stage k receives the int8 input x and the int8 feature outputs
of earlier stages it reads (no float round trip), and returns its int8 outputs. The TFLM
interpreter (`tflite-micro` package) is the golden reference; LiteRT with
`OpResolverType.BUILTIN_REF` is a second one (it may differ from TFLM by 1 LSB in a few
kernels). XNNPACK is never used here.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from dataclasses import dataclass

import numpy as np

DEFAULT_ARENA = 256 * 1024


@dataclass(frozen=True)
class StageSpec:
    """One stage of a chain: its model bytes and where each extra input comes from."""

    tflite: bytes
    sources: tuple[tuple[int, int], ...]  # per input >= 1: (stage index, output index)


class _TflmRunner:
    def __init__(self, model: bytes, arena: int = DEFAULT_ARENA) -> None:
        from tflite_micro import runtime as tflm_runtime

        from pipeline.quantize.convert import io_quant

        self.it = tflm_runtime.Interpreter.from_bytes(model, arena_size=arena)
        ins, outs = io_quant(model)  # counted from the flatbuffer: probing TFLM prints errors
        self.n_in, self.n_out = len(ins), len(outs)

    def __call__(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        for i, arr in enumerate(inputs):
            self.it.set_input(arr[None], i)
        self.it.invoke()
        return [np.array(self.it.get_output(i))[0] for i in range(self.n_out)]


class _LiteRtRefRunner:
    def __init__(self, model: bytes) -> None:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        self.it = Interpreter(model_content=model,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        self.it.allocate_tensors()
        self.inp = [d["index"] for d in self.it.get_input_details()]
        self.out = [d["index"] for d in self.it.get_output_details()]

    def __call__(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        for idx, arr in zip(self.inp, inputs, strict=True):
            self.it.set_tensor(idx, arr[None])
        self.it.invoke()
        return [self.it.get_tensor(i)[0].copy() for i in self.out]


def make_runner(runtime: str, model: bytes):
    if runtime == "tflm":
        return _TflmRunner(model)
    if runtime == "litert_ref":
        return _LiteRtRefRunner(model)
    raise ValueError(f"unknown runtime {runtime!r}")


def run_chain(stages: list[StageSpec], x_int8: np.ndarray, runtime: str) -> list[list[np.ndarray]]:
    """Per stage, its int8 outputs stacked over samples: result[k][o] has shape (N, ...)."""
    runners = [make_runner(runtime, s.tflite) for s in stages]
    per_stage: list[list[list[np.ndarray]]] = [[] for _ in stages]
    for x in x_int8:
        outs: list[list[np.ndarray]] = []
        for spec, run in zip(stages, runners, strict=True):
            inputs = [x] + [outs[j][o] for j, o in spec.sources]
            outs.append(run(inputs))
        for k, o in enumerate(outs):
            per_stage[k].append(o)
    return [[np.stack([sample[o] for sample in per_stage[k]]) for o in range(len(per_stage[k][0]))]
            for k in range(len(stages))]


@contextlib.contextmanager
def capture_c_output():
    """Capture what C code writes to file descriptors 1 and 2 (TFLM's allocation report)."""
    import ctypes

    libc = ctypes.CDLL(None)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        for fd in saved:
            os.dup2(tmp.fileno(), fd)
        box: dict[str, str] = {}
        try:
            yield box
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            libc.fflush(None)
            for fd, keep in saved.items():
                os.dup2(keep, fd)
                os.close(keep)
            tmp.seek(0)
            box["text"] = tmp.read().decode(errors="replace")


def tflm_arena_bytes(model: bytes) -> int:
    """Arena bytes the TFLM interpreter actually allocated for this model (head + tail)."""
    from tflite_micro import runtime as tflm_runtime

    it = tflm_runtime.Interpreter.from_bytes(model, arena_size=DEFAULT_ARENA)
    with capture_c_output() as out:
        it.print_allocations()
    found = re.search(r"Arena allocation total (\d+) bytes", out["text"])
    if not found:
        raise RuntimeError("TFLM did not report its arena allocation")
    return int(found.group(1))
