"""Where independent runs go: Ray workers when Ray is installed (the `.[sweep]` extra), else one
after another in this process.

`session(engine, address)` is a context manager yielding an `Engine`; `Engine.map(fn, args)`
returns `[fn(*a) for a in args]` in order, each call a Ray task of one CPU when the engine is
parallel. `fn` must be a module-level function whose arguments and result pickle (numpy arrays,
dataclasses; not Keras models). engine = "auto": Ray if importable and this machine has more
than one CPU, else in-process; "ray": Ray or an error naming the extra to install;
"inprocess": never Ray. Inside a Ray worker (a benchmark job) "auto" stays in-process: the
job already holds its CPU.

`pin_tf_threads()` gives TensorFlow one thread in this process and in every later session's
Ray tasks (the benchmark, whose jobs hold one CPU each); `ped` itself keeps TF's default.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pipeline.errors import PedError

ENGINES = ("auto", "ray", "inprocess")
# TensorFlow's thread counts, read when its runtime starts (before the first TF op)
TF_THREAD_VARS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
REPO_ROOT = Path(__file__).resolve().parents[1]


class Engine:
    """In-process (`ray` None) or a running Ray session."""

    def __init__(self, ray: Any = None) -> None:
        self.ray = ray

    @property
    def parallel(self) -> bool:
        return self.ray is not None

    def map(self, fn: Callable, args: Sequence[tuple]) -> list:
        if self.ray is None or len(args) < 2:
            return [fn(*a) for a in args]
        remote = self.ray.remote(num_cpus=1)(fn)
        return self.ray.get([remote.remote(*a) for a in args])


INPROCESS = Engine()


def pin_tf_threads(threads: int = 1) -> None:
    """Give TensorFlow `threads` compute threads (intra- and inter-op) in this process and in
    the Ray tasks of every later `session`, unless the user set them. Call it before the first
    TF op. For runs that are themselves one CPU each (benchmark jobs): TF's default, one
    thread per core in every process, oversubscribes the machine. A float reduction's order
    depends on the thread count, so the pin also changes a seed's weights in their last bits."""
    for name in TF_THREAD_VARS:
        os.environ.setdefault(name, str(threads))


@contextlib.contextmanager
def session(engine: str = "auto", address: str | None = None,
            log: Callable[[str], None] = print) -> Iterator[Engine]:
    """A Ray session for the block (shut down after it), or the in-process engine."""
    if engine not in ENGINES:
        raise PedError(f"unknown engine '{engine}'", f"use one of {', '.join(ENGINES)}")
    try:
        import ray
    except ImportError:
        ray = None
    if (engine == "ray" or address) and ray is None:
        raise PedError("Ray is not installed", "pip install -e '.[sweep]' (or use the "
                       "in-process engine: drop --engine ray / --address)")
    wanted = engine == "ray" or address is not None or (
        engine == "auto" and (os.cpu_count() or 1) > 1)
    if ray is None or engine == "inprocess" or not wanted or ray.is_initialized():
        yield INPROCESS
        return
    env = {"env_vars": {"PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
                        **{k: os.environ[k] for k in TF_THREAD_VARS if k in os.environ}}}
    try:
        ray.init(address=address, runtime_env=env, include_dashboard=False,
                 log_to_driver=False, logging_level=logging.ERROR)  # no start-up chatter
    except Exception as exc:  # a local Ray that cannot start (a loaded or odd machine)
        if engine == "ray" or address:
            raise
        log(f"Ray did not start ({str(exc).splitlines()[0]}); running in-process")
        yield INPROCESS
        return
    try:
        yield Engine(ray)
    finally:
        ray.shutdown()
