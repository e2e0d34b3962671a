"""Golden-test fixtures: compile once per session, run ours vs the TFLM interpreter."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path

import numpy as np
import pytest

from pipeline.codegen import BundleSpec, StageSpec, generate
from pipeline.codegen.compare import tflm_bundle_outputs
from pipeline.codegen.native import NativeBundle, build
from pipeline.codegen.reader import read_model


class Golden:
    """Generate + compile + compare against TFLM, in a session tmp dir."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.kernels = root / "kernels"
        self._n = 0

    def native(self, spec: BundleSpec) -> NativeBundle:
        self._n += 1
        d = self.root / f"b{self._n:04d}"
        result = generate(spec, d / "gen")
        return NativeBundle(build(d / "gen", d, self.kernels), result, spec.n_classes)

    @staticmethod
    def single(tflite: bytes) -> BundleSpec:
        """A one-stage bundle of a one-input model: output 0 plays the logits."""
        m = read_model(tflite)
        n = m.tensors[m.outputs[0]].size
        return BundleSpec(n, 0, (StageSpec("stage_01", tflite, (None,)),))

    def differing(self, spec: BundleSpec, n_inputs: int = 4, seed: int = 0) -> tuple[int, int]:
        """(differing int8 outputs, outputs compared) over random int8 inputs, all stages."""
        nb = self.native(spec)
        s0 = spec.stages[0]
        m = read_model(s0.tflite)
        shape = m.tensors[m.inputs[s0.feature_inputs.index(None)]].shape
        rng = np.random.default_rng(seed)
        bad = total = 0
        for _ in range(n_inputs):
            x = rng.integers(-128, 128, size=shape).astype(np.int8)
            ours, ref = nb.run(x), tflm_bundle_outputs(spec, x)
            for so, sr in zip(ours, ref, strict=True):
                assert len(so) == len(sr)
                for a, b in zip(so, sr, strict=True):
                    assert a.shape == b.shape
                    bad += int(np.count_nonzero(a != b))
                    total += a.size
        return bad, total


@pytest.fixture(scope="session")
def golden(tmp_path_factory) -> Golden:
    return Golden(tmp_path_factory.mktemp("golden"))


@pytest.fixture(scope="session")
def connection_spec() -> BundleSpec:
    """The two-stage bundle with a connection (tests/golden/models.py)."""
    from tests.golden.models import connection

    return connection()


@pytest.fixture(autouse=True)
def _seeded_keras():
    """Keras draws initial weights from a global RNG: seed it per test so that every model
    (and what the converter makes of it) does not depend on which tests ran before."""
    import keras

    keras.utils.set_random_seed(0)
