"""`ped codegen`: reads tflite/stages.json, writes build/<X>/firmware/, manifest-skipped."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.cli import main
from pipeline.codegen import BundleSpec
from pipeline.codegen.compare import tflm_bundle_outputs
from pipeline.codegen.emit import CodegenResult
from pipeline.codegen.native import NativeBundle, build
from pipeline.codegen.reader import read_model


def _write_run(root, spec: BundleSpec) -> None:
    tdir = root / "toy" / "tflite"
    tdir.mkdir(parents=True)
    stages = []
    for s in spec.stages:
        (tdir / f"{s.name}.tflite").write_bytes(s.tflite)
        m = read_model(s.tflite)
        logits = m.tensors[m.outputs[s.logits_output]]
        stages.append({
            "file": f"{s.name}.tflite",
            "inputs": [{"role": "x"} if src is None else
                       {"role": "feature", "from_stage": src[0], "from_output": src[1]}
                       for src in s.feature_inputs],
            "outputs": [{"role": "logits", "scale": logits.scale, "zero_point": logits.zero_point}
                        if j == s.logits_output else {"role": "feature", "name": f"f{j}"}
                        for j in range(len(m.outputs))],
            "agg_weight": 1.0, "macs": 0, "cost_cycles": 0})
    (tdir / "stages.json").write_text(json.dumps(
        {"n_classes": spec.n_classes, "default_class": 2, "input": {}, "stages": stages}))


@pytest.mark.slow
def test_ped_codegen_step(connection_spec, tmp_path, golden, capsys):
    _write_run(tmp_path, connection_spec)
    argv = ["codegen", "--dataset", "toy", "--build-dir", str(tmp_path), "--no-progress"]
    assert main(argv) == 0
    fw = tmp_path / "toy" / "firmware"
    names = sorted(p.name for p in fw.iterdir())
    assert names == ["ped_model.c", "ped_model.h", "plan.json", "stage_01.c",
                     "stage_01_tflite.c", "stage_02.c", "stage_02_tflite.c"]
    assert ".default_class = 2u" in (fw / "ped_model.c").read_text()
    assert main(argv) == 0
    assert "up to date" in capsys.readouterr().err
    # the stage table read back from stages.json gives the same bit-exact program
    spec = BundleSpec.from_stages_json(tmp_path / "toy" / "tflite")
    assert spec.bundle_hash == connection_spec.bundle_hash
    plan = json.loads((fw / "plan.json").read_text())
    result = CodegenResult.from_json(plan)
    nb = NativeBundle(build(fw, tmp_path / "b", golden.kernels), result, spec.n_classes)
    x = np.random.default_rng(3).integers(-128, 128, size=(100, 6)).astype(np.int8)
    for ours, ref in zip(nb.run(x), tflm_bundle_outputs(spec, x), strict=True):
        for a, b in zip(ours, ref, strict=True):
            assert (a == b).all()


def test_ped_codegen_without_quantize(tmp_path, capsys):
    assert main(["codegen", "--dataset", "nothing", "--build-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "ped quantize --dataset nothing" in err
