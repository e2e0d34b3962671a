"""Build generated code with the host compiler and run it (tests and benchmarks).

`build(gen_dir, work_dir)` compiles the kernel library and the generated sources into a
shared library; `NativeBundle.run(x)` runs every stage in order on one arena, like the
firmware scheduler, and returns each stage's outputs (logits, then feature tensors).
"""

from __future__ import annotations

import ctypes
import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.codegen.emit import CodegenResult
from pipeline.data.recipe import REPO_ROOT

KERNEL_DIR = REPO_ROOT / "firmware" / "kernels"
INCLUDE_DIR = REPO_ROOT / "firmware" / "include"
CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-ffp-contract=off")


def kernel_sources() -> list[Path]:
    return sorted(KERNEL_DIR.glob("*.c"))


def compile_objects(sources: list[Path], obj_dir: Path, opt: str = "-O2",
                    extra: tuple[str, ...] = ()) -> list[Path]:
    """Compile each source to an object in obj_dir (reused when source and flags match)."""
    obj_dir.mkdir(parents=True, exist_ok=True)
    objs = []
    for src in sources:
        flags = (*CFLAGS, opt, "-fPIC", *extra, f"-I{INCLUDE_DIR}", f"-I{src.parent}")
        key = hashlib.sha256(src.read_bytes() + " ".join(flags).encode()).hexdigest()[:12]
        obj = obj_dir / f"{src.stem}-{key}.o"
        if not obj.is_file():
            subprocess.run(["gcc", *flags, "-c", str(src), "-o", str(obj)], check=True,
                           capture_output=True, text=True)
        objs.append(obj)
    return objs


def build(gen_dir: Path, work_dir: Path, kernel_obj_dir: Path | None = None) -> Path:
    """Shared library of kernels + generated code; raises CalledProcessError with gcc output."""
    kobjs = compile_objects(kernel_sources(), kernel_obj_dir or work_dir / "kernels")
    gobjs = compile_objects(sorted(gen_dir.glob("*.c")), work_dir / "gen")
    so = work_dir / "libped_model.so"
    subprocess.run(["gcc", "-shared", "-o", str(so), *map(str, gobjs + kobjs), "-lm"],
                   check=True, capture_output=True, text=True)
    return so


_STAGE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                             ctypes.c_void_p)


@dataclass
class NativeBundle:
    lib_path: Path
    plan: CodegenResult
    n_classes: int

    def __post_init__(self) -> None:
        self._lib = ctypes.CDLL(str(self.lib_path))
        self._fns = [getattr(self._lib, f"ped_{s.name}_run") for s in self.plan.stages]
        for f in self._fns:
            f.restype = ctypes.c_int
            f.argtypes = [ctypes.c_void_p] * 4

    def call(self, stage: int, x: np.ndarray, arena: np.ndarray, abort: bool) \
            -> tuple[int, np.ndarray]:
        """One stage function (1-based) on a given arena: (status, logits buffer); the buffer
        starts filled with 0x55, so an untouched one is recognisable."""
        xin = np.ascontiguousarray(x, dtype=np.int8).reshape(-1)
        logits = np.full(self.n_classes, 0x55, dtype=np.int8)
        flag = ctypes.c_uint8(1 if abort else 0)
        status = self._fns[stage - 1](xin.ctypes.data, arena.ctypes.data, logits.ctypes.data,
                                      ctypes.addressof(flag))
        return status, logits

    def run(self, x: np.ndarray, abort_before: int | None = None) -> list[list[np.ndarray]]:
        """Outputs of each stage (model output order, flattened) for one int8 input; stages from
        `abort_before` (1-based) on run with the abort flag set and report [] if aborted."""
        xin = np.ascontiguousarray(x, dtype=np.int8).reshape(-1)
        arena = np.zeros(max(self.plan.arena_bytes, 16), dtype=np.uint8)
        flag = ctypes.c_uint8(0)
        results = []
        for k, (fn, sp) in enumerate(zip(self._fns, self.plan.stages, strict=True), start=1):
            logits = np.full(self.n_classes, 0x55, dtype=np.int8)
            flag.value = 1 if abort_before is not None and k >= abort_before else 0
            status = fn(xin.ctypes.data, arena.ctypes.data, logits.ctypes.data,
                        ctypes.addressof(flag))
            if status != 0:
                results.append([])
                continue
            results.append([logits.copy() if kind == "logits"
                            else arena[off:off + nbytes].view(np.int8).copy()
                            for _, kind, off, nbytes in sp.outputs])
        return results
