"""Ahead-of-time C code generation for int8 TFLite students (see docs/codegen.md).

`generate(BundleSpec, out_dir)` reads the stage models, lowers each operator to a call of
the kernel library in `firmware/kernels/`, plans one arena and writes the C sources.
"""

import hashlib
from pathlib import Path

from pipeline.codegen.bundle import BundleSpec, StageSpec
from pipeline.codegen.emit import CodegenResult, generate
from pipeline.codegen.stage import check_model

__all__ = ["BundleSpec", "CodegenResult", "StageSpec", "check_model", "generate", "source_hash"]

_HERE = Path(__file__).resolve().parent
_FIRMWARE = _HERE.parents[1] / "firmware"


def source_hash() -> str:
    """sha256 over everything generated code depends on: this package's Python sources and
    the kernel headers/sources (a manifest input of `ped codegen`)."""
    files = sorted(_HERE.rglob("*.py")) + sorted((_FIRMWARE / "kernels").glob("*.c")) \
        + sorted((_FIRMWARE / "include" / "ped" / "kernels").glob("*.h")) \
        + [_FIRMWARE / "include" / "ped" / "model.h"]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()
