"""Ahead-of-time C code generation for int8 TFLite students (see docs/codegen.md).

`generate(BundleSpec, out_dir)` reads the stage models, lowers each operator to a call of
the kernel library in `firmware/kernels/`, plans one arena and writes the C sources.
"""

from pipeline.codegen.bundle import BundleSpec, StageSpec
from pipeline.codegen.emit import CodegenResult, generate

__all__ = ["BundleSpec", "CodegenResult", "StageSpec", "generate"]
