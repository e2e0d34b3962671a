"""The golden side: run stage models in the TFLM interpreter, and measure TFLM's arena.

Used by tests/golden and benchmarks/runtime.py. Outputs come only from TFLM
(`tflite_micro.runtime.Interpreter`), never from our own code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from tflite_micro import runtime as _tflm

from pipeline.codegen.bundle import BundleSpec
from pipeline.codegen.emit import CodegenResult
from pipeline.codegen.reader import read_model


def tflm_outputs(model: bytes, inputs: list[np.ndarray], arena_size: int = 1 << 20) \
        -> list[np.ndarray]:
    """All outputs (flattened int8) of one model in the TFLM interpreter."""
    interp = _tflm.Interpreter.from_bytes(model, arena_size=arena_size)
    for i, x in enumerate(inputs):
        shape = interp.get_input_details(i)["shape"]
        interp.set_input(np.ascontiguousarray(x, dtype=np.int8).reshape(shape), i)
    interp.invoke()
    n_out = len(read_model(model).outputs)
    return [np.asarray(interp.get_output(j)).reshape(-1).copy() for j in range(n_out)]


def tflm_bundle_outputs(spec: BundleSpec, x: np.ndarray) -> list[list[np.ndarray]]:
    """Each stage's outputs in TFLM; feature inputs are TFLM's own earlier outputs."""
    results: list[list[np.ndarray]] = []
    for s in spec.stages:
        inputs = [x if src is None else results[src[0] - 1][src[1]]
                  for src in s.feature_inputs]
        results.append(tflm_outputs(s.tflite, inputs))
    return results


def _runs(model: bytes, arena: int) -> bool:
    """Whether TFLM allocates and invokes with `arena` bytes. Probed in a forked child: TFLM
    can crash (not just fail) on a too small arena, and it logs to stderr."""
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            interp = _tflm.Interpreter.from_bytes(model, arena_size=arena)
            interp.invoke()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def tflm_arena_bytes(model: bytes, hi: int = 1 << 20, step: int = 16) -> int:
    """Smallest arena (multiple of `step`) with which TFLM allocates and invokes the model."""
    if not _runs(model, hi):
        raise RuntimeError("TFLM cannot run the model even with a 1 MiB arena")
    lo = 0
    while hi - lo > step:
        mid = (lo + hi) // 2 // step * step
        if _runs(model, mid):
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True)
class ArenaRow:
    name: str
    ours: int
    tflm: int


def arena_comparison(spec: BundleSpec, plan: CodegenResult) -> list[ArenaRow]:
    """Per stage: our arena need (persistent + that stage's scratch) vs TFLM's arena; then
    the bundle: PED_MODEL_ARENA_BYTES vs TFLM's largest stage arena plus the connection bytes TFLM
    would have to keep outside its arena between stages."""
    rows = []
    tflm = []
    for s, sp in zip(spec.stages, plan.stages, strict=True):
        t = tflm_arena_bytes(s.tflite)
        tflm.append(t)
        rows.append(ArenaRow(s.name, plan.persistent_bytes + sp.scratch_bytes, t))
    conn = sum(b for sp in plan.stages for _, kind, _, b in sp.outputs if kind == "feature_out")
    if len(rows) > 1:
        rows.append(ArenaRow("bundle", plan.arena_bytes, max(tflm) + conn))
    return rows
