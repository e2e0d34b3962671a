"""`ped distill` end to end: B-DISTIL, the baselines, and the artifacts of `students/`.

`distill_run` reads nothing from disk but its own progress (resume); the step in
pipeline/steps.py loads the dataset and the teacher's logits and passes them in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipeline.boards import load_board
from pipeline.data.prepare import Dataset
from pipeline.distill import ensemble as io
from pipeline.distill.baselines import FLOOR, matched_arch, train_baselines
from pipeline.distill.bdistil import DistillConfig, DistillResult, Problem, run_bdistil
from pipeline.distill.pool import Arch
from pipeline.engine import Engine, session


def ensemble_doc(res: DistillResult, outputs: list[list[dict]], p: Problem,
                 cfg: DistillConfig) -> dict:
    stages = []
    for st, outs in zip(res.stages, outputs, strict=True):
        r = st.record
        stages.append({
            "stage": r["stage"], "file": f"stage_{r['stage']:02d}.keras",
            "candidate": r["candidate"], "architecture": r["architecture"], "cost": r["cost"],
            "inputs": r["inputs"], "outputs": outs, "edge": r["edge"],
            "agg_weight": r["alpha"], "val_accuracy": r["val_accuracy"],
            "test_accuracy": r["test_accuracy"], "val_residual": r["val_residual"],
        })
    return {
        "dataset": p.ds.meta["name"], "target": cfg.target, "objective": cfg.objective,
        "eta": cfg.eta, "gamma": cfg.gamma, "B": cfg.bound, "seed": cfg.seed,
        "connections": cfg.connections, "temperature": cfg.temperature, "mu": cfg.mu,
        "n_classes": p.n_classes, "input_shape": list(p.ds.input_shape),
        "logit_units": "F_k = sum_t agg_weight_t * stage_t logits approximates the teacher's "
                       "logits centred per example and divided by teacher_sigma",
        "teacher_sigma": p.sigma, "stop_reason": res.stop_reason,
        "pool": [a.name for a in res.pool], "config": cfg.to_dict(), "stages": stages,
    }


def teacher_labeller(model_path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """x -> the teacher's raw logits (the saved teacher model, inference mode)."""
    import keras

    model = keras.models.load_model(model_path, compile=False)
    return lambda x: np.asarray(model.predict(x, batch_size=512, verbose=0), np.float64)


def distill_run(ds: Dataset, teacher_logits: dict[str, np.ndarray], teacher_metrics: dict,
                cfg: DistillConfig, out_dir: Path, baselines: bool = True,
                log: Callable[[str], None] = print, resume_key: str = "",
                teacher_model: Path | None = None, engine: str = "auto") -> list[Path]:
    """Run B-DISTIL (+ baselines) into out_dir; returns the files written. `teacher_model`
    (teacher/model.keras) labels the augmented views when cfg.views > 0. `engine`
    (pipeline/engine.py) runs a round's candidates and the baselines' students side by side;
    every training is seeded on its own, so the students do not depend on the order."""
    teacher = teacher_labeller(teacher_model) if cfg.views > 0 and teacher_model else None
    p = Problem.build(ds, teacher_logits, teacher, cfg.views, cfg.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    with session(engine, log=log) as eng:
        return _distill(p, teacher_metrics, cfg, out_dir, baselines, log, resume_key, eng)


def _distill(p: Problem, teacher_metrics: dict, cfg: DistillConfig, out_dir: Path,
             baselines: bool, log: Callable[[str], None], resume_key: str,
             eng: Engine) -> list[Path]:
    ds = p.ds
    res = run_bdistil(p, teacher_metrics["macs"], cfg, out_dir, log, resume_key, eng)
    if not res.stages:
        from pipeline.errors import PedError
        raise PedError(f"B-DISTIL found no weak learner in round 1 ({res.stop_reason})",
                       "lower --gamma, or give the board a larger per-student budget")
    log(f"B-DISTIL stopped: {res.stop_reason}")
    reads = [[(r["from_stage"], r["from_output"]) for r in st.record["inputs"][1:]]
             for st in res.stages]
    paths, outputs = io.save_stage_files(out_dir, [st.model for st in res.stages], reads)
    doc = ensemble_doc(res, outputs, p, cfg)
    paths.append(io.write_json(out_dir / "ensemble.json", doc))
    macs = [st.record["cost"]["macs"] for st in res.stages]
    cum = [int(v) for v in np.cumsum(macs)]
    metrics: dict = {
        "dataset": ds.meta["name"], "objective": cfg.objective,
        "connections": cfg.connections,
        "teacher": {"test_accuracy": teacher_metrics["test_accuracy"],
                    "macs": teacher_metrics["macs"]},
        "bdistil": [{"stage": st.record["stage"], "candidate": st.record["candidate"],
                     "cumulative_macs": c, "test_accuracy": st.record["test_accuracy"],
                     "val_accuracy": st.record["val_accuracy"]}
                    for st, c in zip(res.stages, cum, strict=True)],
    }
    if baselines:
        board = load_board(cfg.target)
        archs = []
        for st, m in zip(res.stages, macs, strict=True):
            spec = st.record["architecture"]
            connected = len(st.record["inputs"]) > 1
            archs.append(matched_arch(p, m, board)[0] if connected
                         else Arch(spec["kind"], tuple(spec["widths"])))
        log("baselines: RESCHED (independent students of the stages' costs) and NO-RESCHED "
            "(one student per cumulative cost)")
        metrics |= train_baselines(p, archs, cum, cfg, board, out_dir / "baselines", eng)
        metrics["resched_floor"] = FLOOR
    paths.append(io.write_json(out_dir / "metrics.json", metrics))
    paths.append(io.plot(metrics, out_dir / "accuracy_vs_macs.png"))
    return paths
