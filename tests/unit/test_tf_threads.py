"""pipeline/engine.py's TF thread pin (the benchmark's): it sets both variables unless the user
did, and every later session's Ray tasks get it."""

from __future__ import annotations

import os

from pipeline.engine import TF_THREAD_VARS, pin_tf_threads, session


def test_the_pin_sets_both_variables_unless_the_user_did(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "")  # so that teardown restores it ...
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS")  # ... after the pin has set it
    monkeypatch.setenv("TF_NUM_INTEROP_THREADS", "2")  # the user's
    pin_tf_threads()
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "1"
    assert os.environ["TF_NUM_INTEROP_THREADS"] == "2"


def test_ray_tasks_get_the_drivers_setting(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")
    monkeypatch.setenv("TF_NUM_INTEROP_THREADS", "3")
    with session("ray") as eng:
        assert eng.parallel
        # os.getenv pickles by reference (a test module does not import on a worker)
        assert eng.map(os.getenv, [(name,) for name in TF_THREAD_VARS]) == ["1", "3"]
