"""Importing `pipeline` pins TensorFlow to one thread per process (pipeline/__init__.py), a
user's own setting wins, and Ray tasks get the same pin (pipeline/engine.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from pipeline import TF_THREADS
from pipeline.engine import session

PROBE = ("import os, pipeline; "
         "print(os.environ['TF_NUM_INTRAOP_THREADS'], os.environ['TF_NUM_INTEROP_THREADS'])")


def _pinned_in_fresh_process(env: dict[str, str]) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in TF_THREADS}
    out = subprocess.run([sys.executable, "-c", PROBE], env=clean | env, check=True,
                         capture_output=True, text=True)
    return out.stdout.split()


def test_importing_pipeline_pins_one_thread():
    assert _pinned_in_fresh_process({}) == ["1", "1"]
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "1"  # this session's (tests/conftest.py)


def test_a_user_setting_wins():
    user = {"TF_NUM_INTRAOP_THREADS": "3", "TF_NUM_INTEROP_THREADS": "2"}
    assert _pinned_in_fresh_process(user) == ["3", "2"]


def test_ray_tasks_get_the_pin():
    with session("ray") as eng:
        assert eng.parallel
        # os.getenv pickles by reference (a test module does not import on a worker)
        assert eng.map(os.getenv, [(name,) for name in TF_THREADS]) == ["1", "1"]
