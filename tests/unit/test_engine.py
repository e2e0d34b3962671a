"""pipeline/engine.py: which engine a session gives, and what it refuses."""

from __future__ import annotations

import sys

import pytest

from pipeline.engine import INPROCESS, session
from pipeline.errors import PedError


def _square(x: int) -> int:
    return x * x


def test_inprocess_session_maps_in_order_without_ray():
    with session("inprocess") as eng:
        assert eng is INPROCESS and not eng.parallel
        assert eng.map(_square, [(3,), (1,), (2,)]) == [9, 1, 4]


def test_unknown_engine_names_the_choices():
    with pytest.raises(PedError, match="unknown engine 'threads'") as err, session("threads"):
        pass
    assert "auto, ray, inprocess" in err.value.fix


def test_asking_for_ray_without_it_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(PedError, match="Ray is not installed") as err, session("ray"):
        pass
    assert ".[sweep]" in err.value.fix
    with session("auto") as eng:  # auto falls back to this process
        assert not eng.parallel


def test_auto_on_one_cpu_stays_in_process(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    with session("auto") as eng:
        assert not eng.parallel
