"""Quiet by default: what `ped` lets third-party libraries print, and `--verbose`.

Without `--verbose` a command prints one line per step with its result (and its tables);
TensorFlow's C++ log (`I0000 ... cpu_feature_guard`, `E0000 ... NodeDef mentions attribute
use_unbounded_threadpool`, the oneDNN banner), absl's and TensorFlow's Python warnings
(tf.function retracing), the `tf.lite.Interpreter is deprecated` warning and PlatformIO's
build log are kept off the terminal. TensorFlow's import writes two lines to stderr that its
log level does not govern (on CPUs where its oneDNN custom operations are on: "All log
messages before absl::InitializeLog() ..." and the oneDNN banner): the first `import
tensorflow` runs with stderr caught, and every other line it wrote is passed on. A failing
build still shows the tail of its log in the error. `--verbose` lets everything through.
The choice travels to child processes in `PED_VERBOSE` (the one place it is kept);
`configure` must run before TensorFlow is imported, since TensorFlow reads
TF_CPP_MIN_LOG_LEVEL once, at import.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator

ENV = "PED_VERBOSE"

# messages that say nothing to a user of ped (each seen in a `ped run` on TF 2.21)
_WARNINGS = (r".*tf\.lite\.Interpreter is deprecated.*",
             r".*triggered tf\.function retracing.*",
             r".*Compiled the loaded model, but the compiled metrics have yet to be built.*",
             r".*Skipping variable loading for optimizer.*",
             r".*`build\(\)` was called on layer.*",
             r".*Do not pass an `input_shape`/`input_dim` argument to a layer.*",
             r".*Statistics for quantized inputs were expected, but not specified.*")


# lines TensorFlow's import writes to stderr whatever TF_CPP_MIN_LOG_LEVEL says (TF 2.21)
_IMPORT_BANNERS = ("All log messages before absl::InitializeLog() is called",
                   "oneDNN custom operations are on")


@contextlib.contextmanager
def fd_redirected(fd: int, to_fd: int, stream) -> Iterator[None]:
    """File descriptor `fd` (C and Python writes alike) goes to `to_fd` for the block;
    `stream`, the Python stream on `fd`, is flushed on the way in and out."""
    stream.flush()
    saved = os.dup(fd)
    os.dup2(to_fd, fd)
    try:
        yield
    finally:
        stream.flush()
        os.dup2(saved, fd)
        os.close(saved)


@contextlib.contextmanager
def stderr_without(patterns: tuple[str, ...]) -> Iterator[None]:
    """Run the block with file descriptor 2 caught; afterwards write back every caught line
    that contains none of `patterns`."""
    with tempfile.TemporaryFile() as caught:
        try:
            with fd_redirected(2, caught.fileno(), sys.stderr):
                yield
        finally:
            caught.seek(0)
            lines = caught.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(ln for ln in lines if not any(p in ln for p in patterns))
            if kept:
                os.write(2, kept.encode())


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """The first `import tensorflow` (direct, or through keras) runs under stderr_without."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            real = spec.loader.exec_module

            def exec_module(module, real=real):
                with stderr_without(_IMPORT_BANNERS):
                    real(module)

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


class _ErrorsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


def configure(verbose: bool) -> None:
    """Set the process (and its children) quiet, or verbose; idempotent."""
    os.environ[ENV] = "1" if verbose else "0"
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # C++ INFO, WARNING and ERROR lines
    if "tensorflow" not in sys.modules and not any(
            isinstance(f, _QuietTensorFlowImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowImport())
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    for pattern in _WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    for name in ("tensorflow", "absl", "keras", "h5py", "matplotlib", "platformio"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ErrorsOnly) for f in logger.filters):
            logger.addFilter(_ErrorsOnly())
    try:
        import absl.logging  # a TensorFlow dependency: its handler prints TF's Python warnings

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass


def verbose() -> bool:
    """True when `--verbose` (or PED_VERBOSE=1 in the environment) asked for everything."""
    return os.environ.get(ENV, "0") == "1"
