"""Where B-DISTIL's gap to RESCHED at a stage comes from: the student, or the weights.

One command, after `benchmarks/distill_quality.py` has run the same jobs:

    python benchmarks/stage_swap.py --datasets watch,fsdd,mnist5k,digits --seeds 6 --folds 3 \\
        --json build/stage_swap.json

It trains nothing. For every cached job (`build/<run>/bench/<config>-k<K>/seed<S>/`) it runs
the saved float students (B-DISTIL's `rounds/stage_NN.keras` through their connections,
RESCHED's `baselines/resched/stage_NN.keras` alone) on val and test once, caches their tanh
outputs in the job's `stage_swap.npz`, and reports per stage k, as float test accuracy in
points (mean ± s.e. over the jobs, each job paired with itself):

- **student swap** `B_k - R_k`: F_{k-1} (B-DISTIL's first k-1 stages with their deployed
  weights) combined with B-DISTIL's k-th student, minus the same F_{k-1} combined with
  RESCHED's k-th student. Each pair is weighted by RESCHED's own rule (`floor_weights`: val
  NLL, every member keeps at least half of an equal share), so both sides get the same
  weighting and only the student differs. At k = 1 it is the two first students alone.
- **weights** `per-prefix - deployed`: B-DISTIL's own students weighted per prefix by that
  rule (what RESCHED does, not deployable as one running sum), minus its deployed running sum
  F_k = sum_j agg_weight_j y_j.
- **per-prefix - RESCHED**: the same per-prefix readout of B-DISTIL's students, minus
  RESCHED's students under that rule (RESCHED's float curve). It answers whether B-DISTIL's
  students would meet RESCHED at stage k if the device read every prefix out as RESCHED is
  scored (the stored logits of every stage weighted anew per prefix).

A stage whose gap is in "student swap" needs a better k-th student; one whose gap is in
"weights" needs other weights. Caveat: where the joint fine-tune was kept (the job's log says
"joint fine-tune kept"), the students before it moved together with it, and re-weighting
such a pair by RESCHED's rule understates the k-th student (docs/distill.md, "Run G").
Jobs that stopped before stage k are left out of stage k.

`--candidates` goes one level deeper at the last stage K: it trains again, alone and under
their own seeds (`bdistil.candidate_seed`, one TF thread as the benchmark's jobs), the
"fresh-solo" candidates of round K that the job's log lists (independent students of the
round's band, accepted or refused), checks that the one B-DISTIL kept comes out identical,
and scores each beside F_{K-1} as above. Per dataset it prints the kept stage, the mean
candidate and the candidate with the best val gain, each minus RESCHED's K-th student, and
how many jobs refused a fresh candidate (the log line says why) or kept the joint fine-tune
in round K. Cached per job in `stage_swap_candidates.json`; minutes of training per job.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from distill_quality import job_dir, mean_se, run_names, signed  # noqa: E402

from pipeline.distill.baselines import floor_weights  # noqa: E402

CACHE = "stage_swap.npz"
MEASURES = ("swap", "weights", "readout")
CANDIDATES = "stage_swap_candidates.json"
# a fresh-solo candidate's line in a job's log (bdistil._describe)
FRESH_SOLO = re.compile(r"round (\d+): (\S+) .*val gain ([+-][\d.]+)%.*\(\+(\d+)/-(\d+)\)"
                        r"\s+\(fresh, no connection.*\[(\w+)\]")


def _accuracy(f: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(f, axis=1) == y))


def _floor_combined(val: list[np.ndarray], test: list[np.ndarray], y_val: np.ndarray,
                    y_test: np.ndarray) -> float:
    """Test accuracy of the members weighted by RESCHED's rule, fitted on val."""
    w = floor_weights(val, y_val)
    return _accuracy(sum(a * t for a, t in zip(w, test, strict=True)), y_test)


def swap_scores(out: dict[str, np.ndarray], bound: float) -> dict[str, list[float]]:
    """Per stage k = 1..K of one job (`out`: `job_outputs`'s arrays): the student swap
    B_k - R_k, the weights difference per-prefix - deployed, and per-prefix - RESCHED, in
    accuracy (not points)."""
    y_val, y_test, alphas = out["y_val"], out["y_test"], [float(a) for a in out["alphas"]]
    k_max = len(alphas)
    b = {s: [out[f"b{k}_{s}"] for k in range(1, k_max + 1)] for s in ("val", "test")}
    r = {s: [bound * out[f"r{k}_{s}"] for k in range(1, k_max + 1)] for s in ("val", "test")}
    swap, weights, readout = [], [], []
    for k in range(1, k_max + 1):
        prev = {s: sum(a * v for a, v in zip(alphas[:k - 1], b[s][:k - 1], strict=True))
                for s in ("val", "test")}

        def with_(member: dict, prev=prev, k=k) -> float:
            if k == 1:
                return _floor_combined([member["val"]], [member["test"]], y_val, y_test)
            return _floor_combined([prev["val"], member["val"]],
                                   [prev["test"], member["test"]], y_val, y_test)

        mine = {s: bound * b[s][k - 1] for s in ("val", "test")}
        theirs = {s: r[s][k - 1] for s in ("val", "test")}
        swap.append(with_(mine) - with_(theirs))
        per_prefix = _floor_combined([bound * v for v in b["val"][:k]],
                                     [bound * v for v in b["test"][:k]], y_val, y_test)
        deployed = _accuracy(sum(a * v for a, v in zip(alphas[:k], b["test"][:k],
                                                         strict=True)), y_test)
        weights.append(per_prefix - deployed)
        readout.append(per_prefix - _floor_combined(r["val"][:k], r["test"][:k], y_val, y_test))
    return {"swap": swap, "weights": weights, "readout": readout}


def job_outputs(job_dir: Path) -> dict[str, np.ndarray]:
    """The val and test tanh outputs of every B-DISTIL stage (`b<k>_<split>`) and RESCHED
    student (`r<k>_<split>`) of a finished job, with labels and deployed weights; cached in
    the job directory, recomputed when the job's result.json is newer than the cache."""
    cache, result = job_dir / CACHE, job_dir / "result.json"
    if cache.is_file() and cache.stat().st_mtime >= result.stat().st_mtime:
        with np.load(cache) as z:
            return {k: z[k] for k in z.files}
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from pipeline.data.prepare import Dataset
    from pipeline.distill import ensemble as io
    from pipeline.distill.solver import predict

    ds = Dataset.load(job_dir.parents[2] / "data" / "dataset")
    stages = json.loads((job_dir / "ensemble.json").read_text())["stages"]
    out: dict[str, np.ndarray] = {"alphas": np.array([s["agg_weight"] for s in stages])}
    for split in ("val", "test"):
        out[f"y_{split}"] = ds.y[split]
        maps = []
        for st in stages:
            model = keras.models.load_model(io.round_path(job_dir, st["stage"]), compile=False)
            xs = [ds.x[split], *(maps[r["from_stage"] - 1] for r in st["inputs"][1:])]
            y, feature = predict(model, xs)
            maps.append(feature)
            out[f"b{st['stage']}_{split}"] = y
            path = job_dir / "baselines" / "resched" / f"stage_{st['stage']:02d}.keras"
            out[f"r{st['stage']}_{split}"] = predict(
                keras.models.load_model(path, compile=False), [ds.x[split]])[0]
    np.savez(cache, **out)
    return out


def _fresh_lines(log: list[str], k: int) -> list[dict]:
    out = []
    for line in log:
        m = FRESH_SOLO.search(line)
        if m and int(m.group(1)) == k:
            out.append({"name": m.group(2).split("+")[0], "val_gain": float(m.group(3)) / 100,
                        "val_fixed_broken": [int(m.group(4)), int(m.group(5))],
                        "accepted": m.group(6) == "green"})
    return out


def fresh_candidates(job_dir: Path, out: dict[str, np.ndarray]) -> dict:
    """Round K's fresh-solo candidates of a finished job, trained again and scored beside
    F_{K-1} (test accuracy of the pair under RESCHED's weighting), with the kept stage's and
    RESCHED's K-th student's scores; cached in the job directory (see the module doc)."""
    cache, result = job_dir / CANDIDATES, job_dir / "result.json"
    if cache.is_file() and cache.stat().st_mtime >= result.stat().st_mtime:
        return json.loads(cache.read_text())
    from pipeline.data.prepare import Dataset
    from pipeline.distill.baselines import kd_job
    from pipeline.distill.bdistil import SOLO, DistillConfig, Problem, candidate_seed
    from pipeline.distill.pool import Arch
    from pipeline.distill.run import teacher_labeller
    from pipeline.distill.solver import SolverConfig, predict

    res = json.loads(result.read_text())
    ens = json.loads((job_dir / "ensemble.json").read_text())
    conf = dict(ens["config"])
    cfg = DistillConfig(**(conf | {"solver": SolverConfig(**conf["solver"])}))
    if cfg.objective != "residual_kd":
        raise SystemExit(f"error: {job_dir}: --candidates knows the residual_kd objective only, "
                         f"not '{cfg.objective}'")
    k = len(ens["stages"])
    lines = _fresh_lines(res["log"], k)
    root = job_dir.parents[2]
    ds = Dataset.load(root / "data" / "dataset")
    with np.load(root / "teacher" / "logits.npz") as z:
        logits = {s: z[s] for s in z.files}
    p = Problem.build(ds, logits, teacher_labeller(root / "teacher" / "model.keras"), cfg.views,
                      cfg.seed)
    y_val, y_test, alphas = out["y_val"], out["y_test"], [float(a) for a in out["alphas"]]
    prev = {s: sum(a * out[f"b{j}_{s}"] for j, a in enumerate(alphas[:k - 1], start=1))
            for s in ("val", "test")}

    def beside_prev(member: dict) -> float:
        return _floor_combined([prev["val"], member["val"]], [prev["test"], member["test"]],
                               y_val, y_test)

    kept = ens["stages"][-1]
    doc: dict = {
        "stage": k, "kept": kept["candidate"],
        "kept_beside_prev": beside_prev({s: cfg.bound * out[f"b{k}_{s}"] for s in ("val", "test")}),
        "resched_beside_prev": beside_prev({s: cfg.bound * out[f"r{k}_{s}"]
                                            for s in ("val", "test")}),
        "joint_kept": any(f"round {k}: joint fine-tune kept" in line for line in res["log"]),
        "candidates": []}
    for c in lines:
        arch = Arch(ds.meta["kind"], tuple(int(w) for w in c["name"].split("-")[1:]))
        # a fresh-solo candidate is plain KD of its architecture on the fit split (kd_job)
        seed = candidate_seed(cfg.seed, k, ens["pool"].index(c["name"]), 0, SOLO)
        model, _ = kd_job(p, arch, cfg, seed).fit()
        y = {s: cfg.bound * predict(model, [p.x[s]])[0] for s in ("val", "test")}
        same = bool(kept["candidate"] == c["name"] and np.allclose(
            y["test"], cfg.bound * out[f"b{k}_test"], atol=1e-5))
        doc["candidates"].append(c | {"beside_prev": beside_prev(y), "is_the_kept_stage": same})
    cache.write_text(json.dumps(doc, indent=1))
    return doc


def candidates_table(docs: dict[str, list[dict]]) -> str:
    """Per dataset, at the last stage, minus RESCHED's student beside the same F_{K-1}."""
    lines = ["dataset | jobs | kept stage | mean fresh candidate | fresh, best val gain | "
             "jobs that refused a fresh one | joint step kept",
             "--- | --- | --- | --- | --- | --- | ---"]
    for name, jobs in docs.items():
        jobs = [j for j in jobs if j["candidates"]]
        if not jobs:
            continue
        rs = [j["resched_beside_prev"] for j in jobs]
        cols = [[j["kept_beside_prev"] for j in jobs],
                [float(np.mean([c["beside_prev"] for c in j["candidates"]])) for j in jobs],
                [max(j["candidates"], key=lambda c: c["val_gain"])["beside_prev"] for j in jobs]]
        cells = []
        for col in cols:
            m, se, _ = mean_se([100 * (a - b) for a, b in zip(col, rs, strict=True)])
            cells.append(signed(m, se))
        refused = sum(any(not c["accepted"] for c in j["candidates"]) for j in jobs)
        joint = sum(j["joint_kept"] for j in jobs)
        lines.append(f"{name} | {len(jobs)} | {' | '.join(cells)} | {refused} | {joint}")
    return "\n".join(lines)


def summarise(scores: dict[str, list[dict[str, list[float]]]]) -> dict:
    """{dataset | "pooled": {measure: {"mean", "se", "n"} per stage}} from per-job scores."""
    doc: dict = {}
    pooled = [j for jobs in scores.values() for j in jobs]
    for name, jobs in [*scores.items(), ("pooled", pooled)]:
        k_max = max(len(j["swap"]) for j in jobs)
        doc[name] = {}
        for measure in (m for m in MEASURES if m in jobs[0]):
            cols = [[j[measure][k] for j in jobs if len(j[measure]) > k] for k in range(k_max)]
            stats = [mean_se(c) for c in cols]
            doc[name][measure] = {"mean": [s[0] for s in stats], "se": [s[1] for s in stats],
                                  "n": [s[2] for s in stats]}
    return doc


def table(doc: dict) -> str:
    lines = ["dataset | k | n | student swap B_k - R_k | weights per-prefix - deployed | "
             "per-prefix - RESCHED", "--- | --- | --- | --- | --- | ---"]
    for name, e in doc.items():
        for k in range(len(e["swap"]["mean"])):
            cells = [signed(e[m]["mean"][k], e[m]["se"][k], 100) if m in e else ""
                     for m in MEASURES]
            lines.append(f"{name} | {k + 1} | {e['swap']['n'][k]} | " + " | ".join(cells))
    return "\n".join(lines)


def job_dirs(datasets: list[str], seeds: int, folds: int, config: str,
             stages: int) -> dict[str, list[Path]]:
    """The finished jobs of distill_quality.py's layout, by dataset (watch's folds pooled)."""
    out: dict[str, list[Path]] = {}
    for name in datasets:
        for run in run_names(name, folds):
            for s in range(seeds):
                d = job_dir(run, s, config, stages)
                if (d / "result.json").is_file():
                    out.setdefault(name, []).append(d)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default="watch,fsdd,mnist5k,digits")
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0..S-1 (those finished)")
    ap.add_argument("--folds", type=int, default=3, help="watch's subject folds")
    ap.add_argument("--config", default="default")
    ap.add_argument("--stages", type=int, default=3)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--candidates", action="store_true",
                    help="also train round K's fresh-solo candidates again (minutes per job)")
    args = ap.parse_args()
    from pipeline.engine import pin_tf_threads

    pin_tf_threads()  # as the benchmark's jobs: the same float order, the same students
    dirs = job_dirs(args.datasets.split(","), args.seeds, args.folds, args.config, args.stages)
    if not dirs:
        raise SystemExit(f"error: no finished job of config '{args.config}' under build/; run "
                         "benchmarks/distill_quality.py with the same --datasets, --seeds, "
                         "--folds and --config first")
    scores: dict[str, list[dict[str, list[float]]]] = {}
    cands: dict[str, list[dict]] = {}
    for name, ds_dirs in dirs.items():
        for d in ds_dirs:
            b = json.loads((d / "ensemble.json").read_text())["B"]
            out = job_outputs(d)
            scores.setdefault(name, []).append(swap_scores(out, b))
            if args.candidates:
                cands.setdefault(name, []).append(fresh_candidates(d, out))
    doc = summarise(scores)
    print(table(doc))
    if args.candidates:
        print()
        print(candidates_table(cands))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"config": args.config, "jobs": {
            n: [str(d.relative_to(ROOT)) for d in ds] for n, ds in dirs.items()},
            "scores": scores, "summary": doc, "candidates": cands}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
