"""Quiet by default: what `ped` lets third-party libraries print, and `--verbose`.

Without `--verbose` a command prints one line per step with its result (and its tables);
TensorFlow's C++ log (`I0000 ... cpu_feature_guard`, `E0000 ... NodeDef mentions attribute
use_unbounded_threadpool`, the oneDNN banner), absl's and TensorFlow's Python warnings
(tf.function retracing), the `tf.lite.Interpreter is deprecated` warning and PlatformIO's
build log are kept off the terminal. A failing build still shows the tail of its log in the
error. `--verbose` lets everything through. The choice travels to child processes in
`PED_VERBOSE` (the one place it is kept); `configure` must run before TensorFlow is imported,
since TensorFlow reads TF_CPP_MIN_LOG_LEVEL once, at import.
"""

from __future__ import annotations

import logging
import os
import warnings

ENV = "PED_VERBOSE"

# messages that say nothing to a user of ped (each seen in a `ped run` on TF 2.21)
_WARNINGS = (r".*tf\.lite\.Interpreter is deprecated.*",
             r".*triggered tf\.function retracing.*",
             r".*Compiled the loaded model, but the compiled metrics have yet to be built.*",
             r".*Skipping variable loading for optimizer.*",
             r".*`build\(\)` was called on layer.*",
             r".*Do not pass an `input_shape`/`input_dim` argument to a layer.*",
             r".*Statistics for quantized inputs were expected, but not specified.*")


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
