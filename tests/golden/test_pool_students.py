"""Real B-DISTIL students (`pipeline.distill.pool.build_student`, as `ped distill` builds them,
written by `save_stage_files` as `ped distill` writes them) through `ped quantize`'s
conversion, `ped codegen`'s generated C (compiled with gcc -O2 for the host) and compared with
the TFLM interpreter: every int8 output of every stage, 0 differing values allowed.

The students get random weights (a fresh student's output layer starts at zero, which would
make every logit equal and the comparison empty), and calibration uses random inputs of the
pool's shape: the arithmetic, not the accuracy, is under test here.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.codegen import BundleSpec
from pipeline.distill.ensemble import save_stage_files
from pipeline.distill.pool import Arch, Candidate, FeatureRef, build_student, feature_shape
from pipeline.quantize import quantize_ensemble, write_stage_table
from pipeline.steps import supported_ops

# (kind, input shape, classes, stage-1 widths, stage-2 widths): the digits and watch pools
POOLS = {"image": ("image", (8, 8, 1), 10, (4, 8), (6, 12)),
         "sequence": ("sequence", (100, 6), 7, (4, 8, 8, 8), (6, 8, 8, 8)),
         "vector": ("vector", (64,), 10, (12,), (16, 16))}


def _randomise(model, rng: np.random.Generator) -> None:
    """Random weights scaled by 1/sqrt(fan-in): activations, and the tanh logits, stay in the
    kernels' interesting range (not all saturated, not all zero)."""
    for layer in model.layers:
        ws = layer.get_weights()
        if ws:
            layer.set_weights([rng.normal(0, 1 / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1
                                          else 0.1, size=w.shape).astype(np.float32)
                               for w in ws])


def _students(tmp_path, kind: str, connections: bool):
    import keras

    keras.utils.set_random_seed(0)
    kind_, shape, n_cls, w1, w2 = POOLS[kind]
    c1 = Candidate(Arch(kind_, w1), shape, n_cls, stage=1)
    reads = (FeatureRef(1, 1, feature_shape(c1)),) if connections else ()
    c2 = Candidate(Arch(kind_, w2), shape, n_cls, stage=2, reads=reads)
    rng = np.random.default_rng(1)
    models = [build_student(c1), build_student(c2)]
    for m in models:
        _randomise(m, rng)
    out = tmp_path / "students"
    out.mkdir()
    _, outputs = save_stage_files(out, models, [[], [(1, 1)] if connections else []])
    stages = []
    for k, outs in enumerate(outputs, start=1):
        ins = [{"role": "x"}] + [{"role": "feature", "from_stage": 1, "from_output": 1}
                                 for _ in (reads if k == 2 else ())]
        stages.append({"stage": k, "inputs": ins, "outputs": outs, "agg_weight": 1.0 / k,
                       "cost": {"macs": 1}})
    (out / "ensemble.json").write_text(json.dumps({"stages": stages}))
    x = rng.normal(size=(64, *shape)).astype(np.float32)
    return out, x, n_cls


@pytest.mark.slow
@pytest.mark.parametrize("kind,connections", [("image", False), ("image", True),
                                              ("sequence", True), ("vector", True)])
def test_pool_students_generated_c_equals_tflm(golden, tmp_path, kind, connections):
    students, x, n_cls = _students(tmp_path, kind, connections)
    stages = quantize_ensemble(students, x, supported_ops=supported_ops())
    assert [len(s.inputs) for s in stages] == [1, 2 if connections else 1]
    write_stage_table(stages, tmp_path / "tflite", n_cls, 3, list(x.shape[1:]))
    spec = BundleSpec.from_stages_json(tmp_path / "tflite")  # what `ped codegen` reads
    assert spec.default_class == 3
    from pipeline.codegen.compare import tflm_bundle_outputs

    probe = tflm_bundle_outputs(spec, np.zeros(x.shape[1:], np.int8))
    assert all(np.ptp(stage[st.logits_output]) > 0 for stage, st in zip(probe, spec.stages,
                                                                         strict=True))
    bad, total = golden.differing(spec, n_inputs=8, seed=3)
    # logits of both stages (+ the exported feature map) for 8 inputs, nothing left out
    assert total >= 8 * 2 * n_cls
    assert bad == 0, f"{kind} connections={connections}: {bad}/{total} int8 outputs differ"
