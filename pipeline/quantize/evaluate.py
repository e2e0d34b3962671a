"""Host evaluation per stage: float Keras vs int8 under LiteRT-REF and TFLM.

Every int8 ensemble goes through the device's fixed-point aggregation
(`pipeline.aggregate`), so the TFLM column is exactly what the firmware must reproduce.
Also counts the int8 output elements where LiteRT-REF and TFLM differ.
"""

from __future__ import annotations

import numpy as np

from pipeline.aggregate import decide, run_ensemble
from pipeline.quantize import QuantizedStage, aggregation_plan, quantize_input
from pipeline.quantize.runtimes import StageSpec, run_chain

RUNTIMES = ("tflm", "litert_ref")


def chain_specs(stages: list[QuantizedStage]) -> list[StageSpec]:
    return [StageSpec(s.tflite, tuple((i["from_stage"] - 1, i["from_output"])
                                      for i in s.inputs[1:])) for s in stages]


def int8_outputs(stages: list[QuantizedStage], x: np.ndarray, runtime: str):
    """(x as int8, per-stage int8 outputs) under one runtime."""
    xq = quantize_input(x, stages[0].inputs[0]["scale"], stages[0].inputs[0]["zero_point"])
    return xq, run_chain(chain_specs(stages), xq, runtime)


def evaluate(stages: list[QuantizedStage], float_logits: list[np.ndarray], x: np.ndarray,
             y: np.ndarray) -> dict:
    """Accuracy per stage per runtime, int8-vs-float drop, LiteRT-REF vs TFLM differences."""
    weights = np.asarray([s.agg_weight for s in stages])
    acc_float, running = [], np.zeros_like(float_logits[0])
    for w, f in zip(weights, float_logits, strict=True):
        running = running + w * f
        acc_float.append(float(np.mean(running.argmax(1) == y)))
    plan = aggregation_plan(stages)
    result: dict = {"n_samples": len(y), "float": acc_float}
    outs = {}
    for rt in RUNTIMES:
        _, outs[rt] = int8_outputs(stages, x, rt)
        accs = run_ensemble([o[0] for o in outs[rt]], plan)
        result[rt] = [float(np.mean(decide(a)[0] == y)) for a in accs]
    result["drop_tflm_vs_float"] = [f - q for f, q in zip(acc_float, result["tflm"], strict=True)]
    result["litert_ref_vs_tflm_diff_elements"] = [
        int(sum(np.count_nonzero(a != b) for a, b in zip(outs["tflm"][k], outs["litert_ref"][k],
                                                           strict=True)))
        for k in range(len(stages))]
    result["int8_output_elements"] = [int(sum(o.size for o in outs["tflm"][k]))
                                      for k in range(len(stages))]
    return result
