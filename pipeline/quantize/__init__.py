"""`ped quantize`: every student becomes its own full-int8 `.tflite`, checked on the host.

Reads `students/ensemble.json` and `students/stage_NN.keras`; writes `tflite/stage_NN.tflite`,
`tflite/stages.json` (the stage table codegen reads, see docs/artifacts.md) and
`tflite/eval.json` (accuracy per stage under float Keras, LiteRT-REF and TFLM, each int8
ensemble through the fixed-point aggregation of `pipeline.aggregate`).

Tensor order of every stage: inputs `[x, connected features...]`, outputs
`[logits, exported features...]`, as listed in `stages.json`. Every stage's `x` input and
every connected feature input carry exactly the quantization of the tensor that feeds them on
the device (stage 1's `x`, the producing stage's output), so int8 bytes pass between stages
with no float round trip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.aggregate import AggregationPlan
from pipeline.quantize.convert import (
    SameScaleConflict,
    TensorQuant,
    check_model,
    convert_int8,
    io_quant,
    reorder_io,
    set_input_quant,
    set_output_quant,
)
from pipeline.quantize.runtimes import tflm_arena_bytes

N_REPRESENTATIVE = 200


@dataclass
class QuantizedStage:
    name: str
    tflite: bytes
    inputs: list[dict]
    outputs: list[dict]
    agg_weight: float
    macs: int
    ops: list[str]
    tflm_arena_bytes: int
    cost_cycles: int = 0


def _stage_inputs(stage: dict, x: np.ndarray, feats: list[list[np.ndarray]]) -> list[np.ndarray]:
    """Float inputs of one stage for examples x, given earlier stages' float outputs."""
    out = [x]
    for inp in stage["inputs"][1:]:
        out.append(feats[inp["from_stage"] - 1][inp["from_output"]])
    return out


def float_outputs(models: list, ensemble: dict, x: np.ndarray) -> list[list[np.ndarray]]:
    """Every stage's float outputs (list per stage, in the stage's output order)."""
    outs: list[list[np.ndarray]] = []
    for model, stage in zip(models, ensemble["stages"], strict=True):
        res = model.predict(_stage_inputs(stage, x, outs), batch_size=256, verbose=0)
        outs.append(list(res) if isinstance(res, list | tuple) else [res])
    return outs


def quantize_ensemble(students_dir: Path, x_train: np.ndarray, supported_ops=None,
                      seed: int = 0) -> list[QuantizedStage]:
    """Convert every student; force shared quantization on x and on every connection."""
    import keras

    ensemble = json.loads((students_dir / "ensemble.json").read_text())
    models = [keras.models.load_model(students_dir / f"stage_{k + 1:02d}.keras", compile=False)
              for k in range(len(ensemble["stages"]))]
    rng = np.random.default_rng(seed)
    rep_x = x_train[rng.choice(len(x_train), min(N_REPRESENTATIVE, len(x_train)), replace=False)]
    rep_feats = float_outputs(models, ensemble, rep_x)
    stages: list[QuantizedStage] = []
    out_quant: list[list[TensorQuant]] = []
    x_quant: TensorQuant | None = None
    for k, (model, stage) in enumerate(zip(models, ensemble["stages"], strict=True)):
        name = f"stage_{k + 1:02d}"
        inputs = _stage_inputs(stage, rep_x, rep_feats)
        # keyed by input name: the converter's own input order is not the Keras order
        names = [t.name for t in model.inputs]
        rep = [{n: a[i:i + 1].astype(np.float32) for n, a in zip(names, inputs, strict=True)}
               for i in range(len(rep_x))]
        tfl = convert_int8(model, rep)
        tfl = reorder_io(tfl, [t.name for t in model.inputs], len(model.outputs))
        if x_quant is not None:  # one quantization of x for the whole ensemble: stage 1's
            tfl = set_input_quant(tfl, 0, x_quant, name)
        for i, inp in enumerate(stage["inputs"][1:], start=1):
            j, o = inp["from_stage"] - 1, inp["from_output"]
            try:  # re-parameterise the consumer's input to the producer's output ...
                tfl = set_input_quant(tfl, i, out_quant[j][o], name)
            except SameScaleConflict:
                # ... or, when that input is concatenated, the producer's output to it
                want = io_quant(tfl)[0][i]
                producer = stages[j]
                producer.tflite = set_output_quant(producer.tflite, o, want, producer.name)
                out_quant[j] = io_quant(producer.tflite)[1]
                producer.outputs = [dict(d) | out_quant[j][n].as_dict()
                                    for n, d in enumerate(producer.outputs)]
                producer.tflm_arena_bytes = tflm_arena_bytes(producer.tflite)
        ops = check_model(tfl, name, supported_ops)
        in_q, o_q = io_quant(tfl)
        x_quant = x_quant or in_q[0]
        out_quant.append(o_q)
        outputs = [dict(o) | o_q[i].as_dict() for i, o in enumerate(stage["outputs"])]
        ins = [dict(inp) | in_q[i].as_dict() for i, inp in enumerate(stage["inputs"])]
        stages.append(QuantizedStage(
            name=name, tflite=tfl, inputs=ins, outputs=outputs,
            agg_weight=float(stage.get("agg_weight", 1.0)), macs=int(stage["cost"]["macs"]),
            ops=ops, tflm_arena_bytes=tflm_arena_bytes(tfl),
            cost_cycles=int(stage["cost"].get("cycles") or 0)))
    return stages


def write_stage_table(stages: list[QuantizedStage], out_dir: Path, n_classes: int,
                      default_class: int, input_shape: list[int]) -> list[Path]:
    """`stage_NN.tflite` files and `stages.json` (see docs/artifacts.md)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for s in stages:
        p = out_dir / f"{s.name}.tflite"
        p.write_bytes(s.tflite)
        files.append(p)
    plan = aggregation_plan(stages)
    table = {
        "n_classes": n_classes,
        "default_class": default_class,
        "input": {"shape": input_shape} | {k: stages[0].inputs[0][k]
                                           for k in ("scale", "zero_point")},
        "aggregation": {"acc_scale": plan.acc_scale, "multipliers": list(plan.multipliers)},
        "stages": [{
            "file": f"{s.name}.tflite", "inputs": s.inputs, "outputs": s.outputs,
            "agg_weight": s.agg_weight, "macs": s.macs, "cost_cycles": s.cost_cycles,
            "ops": s.ops, "tflite_bytes": len(s.tflite), "tflm_arena_bytes": s.tflm_arena_bytes,
        } for s in stages],
    }
    p = out_dir / "stages.json"
    p.write_text(json.dumps(table, indent=2))
    return [*files, p]


def aggregation_plan(stages: list[QuantizedStage]) -> AggregationPlan:
    return AggregationPlan.from_stages(
        [s.outputs[0]["scale"] for s in stages], [s.outputs[0]["zero_point"] for s in stages],
        [s.agg_weight for s in stages])


def quantize_input(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """float -> int8 as the host sends it to the device (TFLite's QUANTIZE rounding: half away
    from zero, then the zero point, then saturation)."""
    v = x.astype(np.float64) / scale
    q = np.sign(v) * np.floor(np.abs(v) + 0.5) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def bundle_hash(tflite_dir: Path) -> str:
    """sha256 over the stage `.tflite` files in stage order: the identity of a model bundle.

    Codegen writes it into the firmware; the harness refuses a device whose hash differs.
    """
    import hashlib

    table = json.loads((tflite_dir / "stages.json").read_text())
    h = hashlib.sha256()
    for stage in table["stages"]:
        h.update((tflite_dir / stage["file"]).read_bytes())
    return h.hexdigest()


def load_stage_table(tflite_dir: Path) -> tuple[list[QuantizedStage], dict]:
    """The quantized stages as `ped quantize` wrote them, and the raw stages.json."""
    table = json.loads((tflite_dir / "stages.json").read_text())
    stages = [QuantizedStage(
        name=Path(s["file"]).stem, tflite=(tflite_dir / s["file"]).read_bytes(),
        inputs=s["inputs"], outputs=s["outputs"], agg_weight=s["agg_weight"], macs=s["macs"],
        ops=s["ops"], tflm_arena_bytes=s["tflm_arena_bytes"], cost_cycles=s["cost_cycles"])
        for s in table["stages"]]
    return stages, table


def host_expectation(stages: list[QuantizedStage], x: np.ndarray):
    """What the device must compute for examples x: (x as int8, accumulators per stage (N, L)).

    TFLM interpreter for every stage's int8 outputs, then the fixed-point aggregation.
    """
    from pipeline.aggregate import run_ensemble
    from pipeline.quantize.evaluate import int8_outputs

    xq, outs = int8_outputs(stages, x, "tflm")
    return xq, run_ensemble([o[0] for o in outs], aggregation_plan(stages))
