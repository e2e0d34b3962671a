"""An independent check of the device's aggregation: the float ensemble of TFLM's outputs.

`pipeline.aggregate` (the host's model) and the firmware's multipliers both come from
`AggregationPlan`, so comparing them only shows they agree with each other. This check does
not use the plan: from `stages.json` alone (each stage's logit scale s_k, zero point z_k and
weight alpha_k) and TFLM's int8 logits q_k it forms the float ensemble
F_k = sum_{t<=k} alpha_t s_t (q_t - z_t), takes S = max_t(alpha_t s_t) / 32767 (the accumulator
scale, as firmware/include/ped/model.h defines it), and requires for every recorded sample and
stage k (the bound documented in pipeline/aggregate.py):
    |S * device_scores - F_k| <= k * (S / 2) * 255                        per class,
    device class == argmax F_k       wherever F_k's top-2 margin exceeds twice that bound.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pipeline.quantize import load_stage_table
from pipeline.quantize.evaluate import int8_outputs

ACC_MULTIPLIER_MAX = 32767  # firmware/include/ped/model.h: multipliers fit int16


def check_device_against_float_ensemble(tflite_dir: Path, results_jsonl: Path,
                                        x: np.ndarray) -> dict:
    """Check every record of a HIL results.jsonl (ids 'test-<i>' index x); returns counts."""
    table = json.loads((tflite_dir / "stages.json").read_text())
    stages, _ = load_stage_table(tflite_dir)
    _, outs = int8_outputs(stages, x, "tflm")  # the golden interpreter's int8 logits
    eff = np.array([st["agg_weight"] * st["outputs"][0]["scale"] for st in table["stages"]])
    zps = [st["outputs"][0]["zero_point"] for st in table["stages"]]
    acc_scale = eff.max() / ACC_MULTIPLIER_MAX
    terms = [e * (o[0].astype(np.float64) - z) for e, o, z in zip(eff, outs, zps, strict=True)]
    floats = np.cumsum(np.stack(terms), axis=0)  # (K, N, L): F_k per sample
    recs = [json.loads(ln) for ln in results_jsonl.read_text().splitlines() if ln.strip()]
    checked = decided = 0
    worst = 0.0
    for r in recs:
        i = int(r["id"].split("-")[1])
        for st in r["stages"]:
            k = st["stage"]
            f = floats[k - 1, i]
            bound = k * acc_scale / 2 * 255
            err = float(np.abs(acc_scale * np.asarray(st["scores"], np.float64) - f).max())
            assert err <= bound, f"{r['id']} stage {k}: |S*acc - F| = {err:.3g} > {bound:.3g}"
            worst = max(worst, err / bound)
            top2 = np.sort(f)[-2:]
            if top2[1] - top2[0] > 2 * bound:
                assert st["class"] == int(np.argmax(f)), f"{r['id']} stage {k}: class differs"
                decided += 1
            checked += 1
    assert checked > 0
    return {"checked": checked, "clear_margin": decided, "worst_error_over_bound": worst}
