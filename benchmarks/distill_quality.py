"""Distillation quality: B-DISTIL vs RESCHED vs NO-RESCHED vs the teacher, over seeds x folds.

One command:

    python benchmarks/distill_quality.py --datasets watch,fsdd,mnist5k,digits --seeds 3 \\
        --folds 3 --json build/distill_quality.json

A *job* is one (dataset run, seed, configuration): `distill_run` (B-DISTIL with its RESCHED and
NO-RESCHED baselines, the same solver and training data for all three) into
`build/<run>/bench/<config>-k<stages>[-e<epochs>]/seed<S>/`, then every stage of every method
converted to int8
(`ped quantize`'s converter, calibrated as `ped quantize` does) and scored under the TFLM
interpreter: B-DISTIL as the device runs it (connected int8 chain + fixed-point aggregation),
RESCHED as its int8 students combined with its per-prefix val-fitted weights, NO-RESCHED as one
int8 student per stage. `watch` runs over subject folds 0..F-1 (run directories watch,
watch-f1, ...); the other datasets have one split. Teachers are trained once per run (seed 0,
`ped teacher`); seeds vary the students only. A job whose `result.json` exists (same key) is
not rerun, so an interrupted benchmark resumes.

Jobs go through Ray when it is installed (`pip install -e '.[sweep]'`; `--address` to use a
running cluster, whose nodes must see this checkout at the same path), else run one after
another in this process (`--engine inprocess` forces that).

Per dataset, method and stage: mean and standard error over seeds x folds of test accuracy,
float and TFLM int8, at the cumulative MACs of B-DISTIL's stages. A job whose B-DISTIL stopped
after j < k stages counts at stage k with its stage j (accuracy and cost carried forward: its
device answers with F_j whatever the budget), so every stage's mean is over the same jobs and
the curve is the deployed anytime curve; `n_reached` (the table's "(m own)") counts the jobs
that trained a k-th stage. RESCHED is scored at the same students' costs, NO-RESCHED at the
closest two-knob architecture (its actual MACs and the mismatch shown). The paired
difference B-DISTIL - RESCHED per stage is taken within each job (same seed, same fold).
Targets (issue #12) are reported, not asserted.
`--against EARLIER.json` also prints B-DISTIL's int8 difference from an earlier run (another
`--config`), job by job over the (run, seed) both have, and stores it under "against".

What the jobs can decide: the paired difference also gets a 95% Student t interval over the
jobs (`ci95`, df = n - 1), printed as a verdict per stage: "ahead" when the interval lies above
0, "behind" when below, else "level", with the interval bounding any true lead or deficit.
(Watch's jobs share three folds; pairing within a job removes the fold's own level, and the
interval treats the jobs as independent.) `--report SAVED.json` prints a saved run's tables
and verdicts again without running or training anything.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.data.recipe import load_recipe  # noqa: E402
from pipeline.distill.bdistil import DistillConfig  # noqa: E402
from pipeline.distill.solver import SolverConfig  # noqa: E402
from pipeline.engine import ENGINES, pin_tf_threads  # noqa: E402
from pipeline.stats import t_interval  # noqa: E402

# Named B-DISTIL configurations (overrides of DistillConfig); "default" = the shipped one
# ("fm" + the monotone test + fresh candidates that read no earlier map; since run G without
# the joint fine-tune, which "default+joint" adds back; since run H with the sign test on val,
# which "default-z1" takes out); "fm" = function matching,
# cosine edge, line search, alpha refit and bands (the previous default, without the joint
# fine-tune, the monotone test or fresh candidates). "paper" is the first implementation
# (every lever of issue #12 off); "paper+X" adds one lever.
PAPER = {"views": 0, "edge": "normalised", "line_search": False, "corrective": False,
         "bands": 0.0, "small_seeds": 1, "joint_epochs": 0, "monotone": False,
         "fresh": False, "min_z": 0.0}
LEVERS = {"views": {"views": 2}, "edge": {"edge": "cosine", "line_search": True},
          "corrective": {"line_search": True, "corrective": True},
          "bands": {"bands": 2.0, "per_band": 2, "small_seeds": 1, "line_search": True},
          "joint": {"joint_epochs": 20, "monotone": True},
          "fresh": {"fresh": True, "monotone": True, "fresh_reads": "connected"}}
CONFIGS: dict[str, dict] = {
    "default": {},
    "paper": PAPER,
    **{f"paper+{k}": PAPER | v for k, v in LEVERS.items()},
    "fm": PAPER | LEVERS["views"] | LEVERS["edge"] | LEVERS["corrective"] | LEVERS["bands"],
}
CONFIGS["fm+joint"] = CONFIGS["fm"] | LEVERS["joint"]
CONFIGS["fm+fresh"] = CONFIGS["fm"] | LEVERS["fresh"]
CONFIGS["default+solo"] = {"fresh_reads": "none"}  # run D's name for today's default
CONFIGS["default+connected"] = {"fresh_reads": "connected"}  # the default of runs A-C
CONFIGS["default+beta0.5"] = {"beta_min": 0.5}  # a fresh stage keeps >= half of F_{t-1}
CONFIGS["default-joint"] = {"joint_epochs": 0}  # run G's name for the no-joint default
CONFIGS["default+joint"] = {"joint_epochs": 20}  # the default of runs D-G (joint fine-tune)
CONFIGS["default+both"] = {"fresh_reads": "both"}  # one fresh candidate of each wiring
CONFIGS["default+labels"] = {"gain_on": "labels"}  # line search and gain on val label CE
CONFIGS["default+z1"] = {"min_z": 1.0}  # run H's name for today's default (the sign test)
CONFIGS["default-z1"] = {"min_z": 0.0}  # the default of run G (no sign test on val)
CONFIGS["default+seeds2"] = {"small_seeds": 2}  # best of 2 seeds (val) under small_macs
CONFIGS["default+tol1"] = {"monotone_z": 1.0}  # the monotone test tolerates a 1-SE val loss
CONFIGS["default+nojl"] = {"joint_last": False}  # no joint fine-tune in the last round
CONFIGS["default+tol1+nojl"] = {"monotone_z": 1.0, "joint_last": False}
CONFIGS["default+labels+beta0.5"] = {"gain_on": "labels", "beta_min": 0.5}
METHODS = ("bdistil", "resched", "noresched")
LABEL = {"bdistil": "B-DISTIL", "resched": "RESCHED", "noresched": "NO-RESCHED"}
RESULT_VERSION = 1
INT8_VERSION = 2  # 2: conv/FC biases rescaled when a connection re-pins their input scale


def ped_run(*args: str) -> tuple[int, str]:
    """Run `ped ARGS --no-progress` here: (exit status, what it printed). It returns rather
    than raises, so that a failure in a Ray worker reaches the driver with its message."""
    env = os.environ | {"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", *args, "--no-progress"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def ped(*args: str) -> str:
    """`ped_run` that exits with ped's own message when it fails."""
    return checked(args, ped_run(*args))


def checked(args: tuple[str, ...], result: tuple[int, str]) -> str:
    status, text = result
    if status:
        raise SystemExit(f"error: `ped {' '.join(args)}` failed (exit {status}):\n{text}")
    return text


def run_names(dataset: str, folds: int) -> list[str]:
    if dataset != "watch":
        return [dataset]
    return ["watch"] + [f"watch-f{k}" for k in range(1, folds)]


def job_dir(run: str, seed: int, config: str, stages: int, epochs: int | None = None) -> Path:
    """Where one job's students, baselines and result.json live."""
    tag = f"{config}-k{stages}" + (f"-e{epochs}" if epochs else "")
    return ROOT / "build" / run / "bench" / tag / f"seed{seed}"


def dataset_of(run: str) -> str:
    return "watch" if run.startswith("watch") else run


def ensure_fold_recipe(run: str) -> None:
    """build/watch-fK/recipe.json: the watch recipe with split.fold = K."""
    if not run.startswith("watch-f"):
        return
    r = load_recipe("watch")
    r = dataclasses.replace(r, split=dataclasses.replace(r.split, fold=int(run[7:])))
    path = ROOT / "build" / run / "recipe.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or json.loads(path.read_text()) != json.loads(json.dumps(r.to_dict())):
        path.write_text(json.dumps(r.to_dict(), indent=2))


def make_config(name: str, seed: int, stages: int, epochs: int | None) -> DistillConfig:
    if name not in CONFIGS:
        raise SystemExit(f"error: unknown --config '{name}'; use one of {', '.join(CONFIGS)}")
    cfg = DistillConfig(stages=stages, seed=seed)
    over = dict(CONFIGS[name])
    solver = over.pop("solver", {})
    if epochs:
        solver = solver | {"epochs": epochs}
    return dataclasses.replace(cfg, **over, solver=SolverConfig(**solver))


# ---------------------------------------------------------------------------------- one job


def _tflm_prefix_accuracy(students: Path, x_rep: np.ndarray, x: np.ndarray, y: np.ndarray,
                          chain: bool, weights: list[list[float]] | None = None) -> list[float]:
    """TFLM int8 test accuracy per prefix of the stages saved in `students`.

    chain=True: the device's computation (connected int8 chain, fixed-point aggregation of
    agg_weight). chain=False: independent students; prefix k combines the dequantized int8
    outputs with weights[k-1] (RESCHED), or is student k alone when weights is None."""
    from pipeline.aggregate import decide, run_ensemble
    from pipeline.quantize import aggregation_plan, quantize_ensemble
    from pipeline.quantize.evaluate import int8_outputs
    from pipeline.steps import supported_ops

    stages = quantize_ensemble(students, x_rep, supported_ops=supported_ops())
    _, outs = int8_outputs(stages, x, "tflm")
    if chain:
        accs = run_ensemble([o[0] for o in outs], aggregation_plan(stages))
        return [float(np.mean(decide(a)[0] == y)) for a in accs]
    deq = [(o[0].astype(np.float64) - s.outputs[0]["zero_point"]) * s.outputs[0]["scale"]
           for o, s in zip(outs, stages, strict=True)]
    if weights is None:
        return [float(np.mean(d.argmax(1) == y)) for d in deq]
    return [float(np.mean(sum(a * d for a, d in zip(w, deq, strict=False)).argmax(1) == y))
            for w in weights]


def teacher_identity(metrics_text: str) -> dict:
    """What identifies a run's teacher in a job's key: its metrics.json without the training
    time (a faster machine or trainer gives the same teacher)."""
    return {k: v for k, v in json.loads(metrics_text).items() if k != "train_seconds"}


def same_key(saved: dict, key: dict) -> bool:
    """Whether a saved job's key is `key`. An option added to DistillConfig after the job ran
    is absent from its key and counts as at its default: a new option's default is always
    the behaviour from before it existed, so the saved job is what it would train now."""
    if saved.keys() != key.keys():
        return False
    cfg, old = dict(key["config"]), saved["config"]
    solver = {k: v for k, v in cfg.pop("solver").items()
              if k in old.get("solver", {}) or v != dataclasses.asdict(SolverConfig())[k]}
    default = DistillConfig().to_dict()
    cfg = {k: v for k, v in cfg.items() if k in old or v != default[k]}
    return {**saved, "config": old} == {**key, "config": cfg | {"solver": solver}}


def job(run: str, seed: int, config: str, stages: int, epochs: int | None,
        cached_only: bool = False) -> dict | None:
    """Train and score one (run, seed, config); cached in its result.json. With `cached_only`
    a job not finished before is not run (None)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from pipeline.data.prepare import Dataset
    from pipeline.distill.run import distill_run

    cfg = make_config(config, seed, stages, epochs)
    root = ROOT / "build" / run
    out = job_dir(run, seed, config, stages, epochs)
    key = {"version": RESULT_VERSION, "config": cfg.to_dict(),
           "teacher": teacher_identity((root / "teacher" / "metrics.json").read_text())}
    res_path = out / "result.json"
    if res_path.is_file():
        saved = json.loads(res_path.read_text())
        if isinstance(saved.get("key", {}).get("teacher"), str):  # keys written before
            saved["key"]["teacher"] = teacher_identity(saved["key"]["teacher"])
        if same_key(saved.get("key", {}), key):
            if saved.get("int8_version") != INT8_VERSION:  # rescore the saved students
                saved |= _int8_scores(root, out, cfg, json.loads(
                    (out / "metrics.json").read_text()), saved)
                res_path.write_text(json.dumps(saved, indent=2))
            return saved
    if cached_only:
        return None
    t0, c0 = time.time(), time.process_time()
    ds = Dataset.load(root / "data" / "dataset")
    with np.load(root / "teacher" / "logits.npz") as z:
        logits = {s: z[s] for s in z.files}
    tm = json.loads((root / "teacher" / "metrics.json").read_text())
    lines: list[str] = []  # an interrupted job resumes its accepted rounds (progress.json)

    def stamp(msg: str) -> None:  # each log line with the job's elapsed wall seconds
        lines.append(f"{time.time() - t0:7.1f} s  {msg}")

    distill_run(ds, logits, tm, cfg, out, baselines=True, log=stamp,
                teacher_model=root / "teacher" / "model.keras", engine="inprocess")
    m = json.loads((out / "metrics.json").read_text())
    bd = m["bdistil"]
    res = {
        "run": run, "dataset": dataset_of(run), "seed": seed, "config": config,
        "teacher": {"test_accuracy": tm["test_accuracy"], "macs": tm["macs"]},
        "stop_reason": json.loads((out / "ensemble.json").read_text())["stop_reason"],
        "bdistil": {"candidates": [r["candidate"] for r in bd],
                    "cum_macs": [r["cumulative_macs"] for r in bd],
                    "float": [r["test_accuracy"] for r in bd]},
        "resched": {"candidates": [r["candidate"] for r in m["resched"]],
                    "cum_macs": [r["cumulative_macs"] for r in m["resched"]],
                    "float": [r["test_accuracy"] for r in m["resched"]]},
        "noresched": {"candidates": [r["candidate"] for r in m["no_resched"]],
                      "cum_macs": [r["cumulative_macs"] for r in m["no_resched"]],
                      "target_macs": [r["target_macs"] for r in m["no_resched"]],
                      "float": [r["test_accuracy"] for r in m["no_resched"]]},
        "log": lines, "seconds": round(time.time() - t0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1), "key": key,
    }
    t1 = time.time()
    res |= _int8_scores(root, out, cfg, m, res)
    res["int8_seconds"] = round(time.time() - t1, 1)  # scoring under TFLM, not in "seconds"
    out.mkdir(parents=True, exist_ok=True)
    res_path.write_text(json.dumps(res, indent=2))
    return res


def _int8_scores(root: Path, out: Path, cfg: DistillConfig, m: dict, base: dict) -> dict:
    """TFLM int8 test accuracy per stage of the three methods saved under `out`: `base`'s
    method entries with their "int8" lists (re)computed, and the int8 scoring version."""
    from pipeline.data.prepare import Dataset

    ds = Dataset.load(root / "data" / "dataset")
    rng = np.random.default_rng(0)  # the calibration sample `ped quantize` draws
    x_rep = ds.x["train"][rng.choice(len(ds.x["train"]), min(200, len(ds.x["train"])),
                                     replace=False)]
    xt, yt = ds.x["test"], ds.y["test"]
    weights = [[cfg.bound * w for w in r["weights"]] for r in m["resched"]]
    scores = {
        "bdistil": _tflm_prefix_accuracy(out, x_rep, xt, yt, chain=True),
        "resched": _tflm_prefix_accuracy(out / "baselines" / "resched", x_rep, xt, yt,
                                          chain=False, weights=weights),
        "noresched": _tflm_prefix_accuracy(out / "baselines" / "no_resched", x_rep, xt, yt,
                                           chain=False),
    }
    res: dict = {"int8_version": INT8_VERSION}
    for method, acc in scores.items():
        entry = dict(base.get(method) or {})
        res[method] = entry | {"int8": acc}
    return res


# ------------------------------------------------------------------------------ the engine


@contextlib.contextmanager
def engine_session(engine: str, address: str | None):
    """pipeline.engine.session, with its errors (unknown engine, Ray missing) as an exit
    message instead of a traceback."""
    from pipeline.engine import session
    from pipeline.errors import PedError

    try:
        with session(engine, address) as eng:
            yield eng
    except PedError as exc:
        raise SystemExit(f"error: {exc}") from None


def teacher_macs(run: str) -> int:
    """The run's teacher MACs (0 before it is trained): a proxy for how long its jobs take."""
    path = ROOT / "build" / run / "teacher" / "metrics.json"
    return int(json.loads(path.read_text())["macs"]) if path.is_file() else 0


def job_order(runs: list[str], seeds: list[int], config: str, stages: int,
              epochs: int | None) -> list[tuple]:
    """Seed-major (every run's seed 0 first, so a partial benchmark covers every dataset), and
    within a seed the runs with the largest teacher first: the longest jobs (mnist5k's take
    2-3x watch's) start early instead of leaving one worker alone at the end."""
    by_cost = sorted(runs, key=teacher_macs, reverse=True)  # stable: ties keep their order
    return [(run, s, config, stages, epochs) for s in seeds for run in by_cost]


def train_teachers(runs: list[str], engine: str, address: str | None) -> None:
    """Every run's teacher (seed 0, shared by the seeds), one `ped teacher` each, in parallel
    through the engine. The data steps go first, one after another: the watch folds share
    one dataset cache, and a cache hit takes a fraction of a second."""
    for run in runs:
        ensure_fold_recipe(run)
        ped("data", "-d", run)
    with engine_session(engine, address) as eng:
        calls = [("teacher", "-d", run) for run in runs]
        for args, result in zip(calls, eng.map(ped_run, calls), strict=True):
            print(checked(args, result).strip(), flush=True)


def run_jobs(specs: list[tuple], engine: str, address: str | None) -> list[dict]:
    """Every job through Ray when available (or asked), else one after another here
    (pipeline/engine.py decides)."""
    with engine_session(engine, address) as eng:
        if eng.parallel:
            return eng.map(job, specs)
        out = []
        for i, spec in enumerate(specs, start=1):
            print(f"[{i}/{len(specs)}] {spec[0]} seed {spec[1]} ({spec[2]})", flush=True)
            r = job(*spec)
            print(f"    done in {r['seconds']} s: B-DISTIL "
                  + " ".join(f"{100 * a:.1f}" for a in r["bdistil"]["int8"]) + " (int8)",
                  flush=True)
            out.append(r)
        return out


# --------------------------------------------------------------------------- aggregation


def mean_se(values: list[float]) -> tuple[float | None, float | None, int]:
    v = np.asarray([x for x in values if x is not None], np.float64)
    if v.size == 0:
        return None, None, 0
    se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else None
    return float(v.mean()), se, int(v.size)


def _per_stage(results: list[dict], get) -> dict:
    k_max = max((len(r["bdistil"]["float"]) for r in results), default=0)
    cols = [[get(r, k) for r in results] for k in range(k_max)]
    stats = [mean_se(c) for c in cols]
    return {"mean": [s[0] for s in stats], "se": [s[1] for s in stats],
            "n": [s[2] for s in stats]}


def intervals(stats: dict) -> list[list[float] | None]:
    """Per stage, the 95% t interval of a `_per_stage` mean (None under two values)."""
    return [t_interval(*c) for c in zip(stats["mean"], stats["se"], stats["n"], strict=True)]


def _at(r: dict, method: str, field: str, k: int):
    """Stage k's value, carried forward from the job's last stage when B-DISTIL stopped
    earlier: a device whose stage table ends at stage j answers with F_j (at F_j's cost)
    whatever the budget, so that is its accuracy at stage k's place on the anytime curve.
    RESCHED and NO-RESCHED have as many stages as B-DISTIL, and are carried alike. None
    only for a job with no stage at all."""
    vals = r[method][field]
    return vals[min(k, len(vals) - 1)] if vals else None


def auc_log_macs(macs: list[float], acc: list[float]) -> float | None:
    """Mean accuracy over log10(MACs) between the first and last stage (trapezoid)."""
    if len(acc) < 2:
        return None
    x = np.log10(np.asarray(macs, np.float64))
    a = np.asarray(acc, np.float64)
    return float(np.sum((x[1:] - x[:-1]) * (a[1:] + a[:-1]) / 2) / (x[-1] - x[0]))


def aggregate(results: list[dict]) -> dict:
    """The issue's JSON shape: datasets -> teacher, methods, paired (+ extra keys)."""
    by_ds: dict[str, list[dict]] = {}
    for r in results:
        by_ds.setdefault(r["dataset"], []).append(r)
    doc: dict = {"datasets": {}}
    for name, rs in by_ds.items():
        # one teacher per run (seeds vary the students only): its mean and s.e. are over the
        # distinct teachers, not over jobs, which repeat each one once per seed
        teachers = {r["run"]: r["teacher"]["test_accuracy"] for r in rs}
        t = mean_se(list(teachers.values()))
        entry: dict = {"teacher": {"mean": t[0], "se": t[1], "n": t[2],
                                   "macs": rs[0]["teacher"]["macs"]},
                       "n_jobs": len(rs), "runs": sorted(teachers),
                       "seeds": sorted({r["seed"] for r in rs}), "methods": {}, "paired": {}}
        for m in METHODS:
            cm = _per_stage(rs, lambda r, k, m=m: _at(r, m, "cum_macs", k))
            entry["methods"][m] = {
                "cum_macs": cm["mean"],
                "float": _per_stage(rs, lambda r, k, m=m: _at(r, m, "float", k)),
                "int8": _per_stage(rs, lambda r, k, m=m: _at(r, m, "int8", k)),
            }
        entry["n_reached"] = [sum(len(r["bdistil"]["float"]) > k for r in rs)
                              for k in range(len(cm["mean"]))]
        mismatch = _per_stage(rs, lambda r, k: (
            r["noresched"]["cum_macs"][k] / r["bdistil"]["cum_macs"][k] - 1
            if k < len(r["bdistil"]["cum_macs"]) else None))
        entry["methods"]["noresched"]["macs_mismatch"] = mismatch["mean"]
        for rt in ("float", "int8"):
            def diff(r, k, rt=rt):
                a, b = _at(r, "bdistil", rt, k), _at(r, "resched", rt, k)
                return None if a is None or b is None else a - b
            pr = _per_stage(rs, diff)
            pr["ci95"] = intervals(pr)
            entry["paired"].setdefault("bdistil-resched", {})[rt] = pr
        for m in METHODS:
            aucs = []
            for r in rs:
                x = r["bdistil"]["cum_macs"]
                aucs.append(auc_log_macs(x, r[m]["int8"][:len(x)]))
            s = mean_se(aucs)
            entry["methods"][m]["auc_log_macs_int8"] = {"mean": s[0], "se": s[1], "n": s[2]}
        entry["seconds_per_job"] = mean_se([r["seconds"] for r in rs])[0]
        entry["stop_reasons"] = [f"{r['run']} seed {r['seed']}: {r['stop_reason']}" for r in rs]
        entry["jobs"] = [{k: r[k] for k in ("run", "seed", "seconds", *METHODS)} for r in rs]
        entry["targets"] = {t: {"met": ok, "numbers": v} for t, (ok, v) in targets(entry).items()}
        doc["datasets"][name] = entry
    return doc


def _fmt(mean, se, scale=100.0) -> str:
    if mean is None:
        return "-"
    return f"{scale * mean:.1f}" + (f" ± {scale * se:.1f}" if se is not None else "")


def signed(mean: float | None, se: float | None, scale: float = 1.0) -> str:
    """A difference as "+m.mm ± s.ss" (times `scale`; "-" without a mean, no "±" without an
    s.e.): the cells of the post-hoc studies (stage_swap.py, seed_choice.py)."""
    if mean is None:
        return "-"
    return f"{scale * mean:+.2f}" + ("" if se is None else f" ± {scale * se:.2f}")


def _n(n: int, reached: int) -> str:
    """The jobs behind a stage's means; "9 (7 own)" when 2 of them stopped earlier and
    answer there with their last stage (carried forward)."""
    return str(n) if reached == n else f"{n} ({reached} own)"


def table(doc: dict) -> str:
    head = ["dataset", "k", "n", "cum MACs", "B-DISTIL float", "B-DISTIL int8", "RESCHED int8",
            "NO-RESCHED int8 (MACs off)", "paired B-R int8", "teacher float"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for name, e in doc["datasets"].items():
        ms = e["methods"]
        bd, rs, nr = ms["bdistil"], ms["resched"], ms["noresched"]
        pr = e["paired"]["bdistil-resched"]["int8"]
        for k in range(len(bd["cum_macs"])):
            off = nr["macs_mismatch"][k]
            lines.append(" | ".join([
                name, str(k + 1), _n(bd["int8"]["n"][k], e["n_reached"][k]),
                f"{bd['cum_macs'][k]:,.0f}",
                _fmt(bd["float"]["mean"][k], bd["float"]["se"][k]),
                _fmt(bd["int8"]["mean"][k], bd["int8"]["se"][k]),
                _fmt(rs["int8"]["mean"][k], rs["int8"]["se"][k]),
                _fmt(nr["int8"]["mean"][k], nr["int8"]["se"][k])
                + ("" if off is None else f" ({100 * off:+.0f}%)"),
                _fmt(pr["mean"][k], pr["se"][k]),
                _fmt(e["teacher"]["mean"], e["teacher"]["se"]) if k == 0 else ""]))
        aucs = {m: ms[m]["auc_log_macs_int8"] for m in METHODS}
        auc = " / ".join(f"{LABEL[m]} {_fmt(a['mean'], a['se'])}" for m, a in aucs.items())
        lines.append(f"{name} | AUC over log MACs (int8, mean acc) | {auc}")
    return "\n".join(lines)


# issue #12's targets, checked on the int8 (TFLM) curve of means
INT8_GAP = 0.005  # int8 within 0.5 points of float at every stage
TEACHER_GAP = 0.01  # final stage >= teacher - 1 point
STAGE1_SHARE, STAGE1_MACS = 0.85, 0.15  # stage 1 >= 85% of the teacher at <= 15% of its MACs
TIE = 1e-9  # means of the same test counts differ in their last bits; equal is a tie


def targets(entry: dict) -> dict[str, tuple[bool, str]]:
    """One dataset's aggregate against issue #12's targets: {target: (met, the numbers)}.
    Accuracies are int8 means (points in the text); "within one s.e." means mean + se >= 0."""
    ms = entry["methods"]
    bd = ms["bdistil"]
    mean, fl = bd["int8"]["mean"], bd["float"]["mean"]
    pr = entry["paired"]["bdistil-resched"]["int8"]

    ok_pair = [m + (se or 0.0) >= 0 for m, se in zip(pr["mean"], pr["se"], strict=True)]
    auc_b, auc_n = (ms[m]["auc_log_macs_int8"]["mean"] for m in ("bdistil", "noresched"))
    teacher = entry["teacher"]["mean"]
    gaps = [a - f for a, f in zip(mean, fl, strict=True)]
    share = bd["cum_macs"][0] / entry["teacher"]["macs"]
    return {
        "paired >= 0 or within 1 s.e.": (all(ok_pair), " / ".join(
            _fmt(m, se) for m, se in zip(pr["mean"], pr["se"], strict=True))),
        "curve never goes down": (all(b >= a - TIE for a, b in itertools.pairwise(mean)),
                                  " / ".join(f"{100 * m:.2f}" for m in mean)),
        "AUC >= NO-RESCHED": (auc_b is not None and auc_n is not None and auc_b >= auc_n,
                              "-" if auc_b is None or auc_n is None
                              else f"{100 * auc_b:.2f} vs {100 * auc_n:.2f}"),
        "final >= teacher - 1": (mean[-1] >= teacher - TEACHER_GAP,
                                 f"{100 * mean[-1]:.1f} vs {100 * teacher:.1f}"),
        "stage 1 >= 85% of teacher at <= 15% MACs": (
            mean[0] >= STAGE1_SHARE * teacher and share <= STAGE1_MACS,
            f"{mean[0] / teacher:.0%} at {share:.1%}"),
        "int8 within 0.5 of float": (all(abs(g) <= INT8_GAP + TIE for g in gaps),
                                     " / ".join(f"{100 * g:+.1f}" for g in gaps)),
    }


def targets_table(doc: dict) -> str:
    """The verdicts `aggregate` stored under each dataset's "targets", a row per target."""
    verdicts = {n: e["targets"] for n, e in doc["datasets"].items()}
    names = list(verdicts)
    lines = [" | ".join(["target", *names]), " | ".join("---" for _ in range(len(names) + 1))]
    for t in (verdicts[names[0]] if names else {}):
        lines.append(" | ".join([t, *(("met" if verdicts[n][t]["met"] else "**MISSED**")
                                      + f" ({verdicts[n][t]['numbers']})" for n in names)]))
    return "\n".join(lines)


def decided(interval: list[float] | None) -> str:
    """A paired stage's verdict from its 95% interval: ahead (all above 0), behind (all
    below), level (0 inside), or "-" (no interval: fewer than two jobs)."""
    if interval is None:
        return "-"
    lo, hi = interval
    return "ahead" if lo > 0 else "behind" if hi < 0 else "level"


def decision_table(doc: dict) -> str:
    """Per dataset and stage: the paired B-DISTIL - RESCHED int8 difference, its 95% interval
    (from mean, s.e. and n, so a JSON written before `ci95` existed reads the same) and the
    verdict. The interval is what the jobs rule out: a true difference outside it."""
    lines = ["dataset | k | n | paired B-R int8 (points) | 95% interval | verdict",
             "--- | --- | --- | --- | --- | ---"]
    for name, e in doc["datasets"].items():
        pr = e["paired"]["bdistil-resched"]["int8"]
        for k, ci in enumerate(intervals(pr)):
            span = "-" if ci is None else f"[{100 * ci[0]:+.2f}, {100 * ci[1]:+.2f}]"
            lines.append(" | ".join([name, str(k + 1), str(pr["n"][k]),
                                     signed(pr["mean"][k], pr["se"][k], 100.0), span,
                                     decided(ci)]))
    return "\n".join(lines)


def against(doc: dict, base: dict, method: str = "bdistil") -> dict:
    """This run's `method` minus `base`'s (an earlier --json of another configuration), job
    by job: the jobs of both with the same (run, seed), per dataset and stage, int8 test
    accuracy; {dataset: {"mean": [..], "se": [..], "n": [..]}}."""
    out = {}
    for name, e in doc["datasets"].items():
        old = {(j["run"], j["seed"]): j for j in base.get("datasets", {}).get(name, {})
               .get("jobs", [])}
        pairs = [(j, old[(j["run"], j["seed"])]) for j in e["jobs"]
                 if (j["run"], j["seed"]) in old]
        if not pairs:
            continue
        k_max = max(len(j[method]["int8"]) for pair in pairs for j in pair)
        stats = [mean_se([_at(a, method, "int8", k) - _at(b, method, "int8", k)
                          for a, b in pairs]) for k in range(k_max)]
        out[name] = {"mean": [m for m, _, _ in stats], "se": [s for _, s, _ in stats],
                     "n": [n for _, _, n in stats]}
    return out


def against_table(diffs: dict, label: str) -> str:
    lines = [f"dataset | k | n | B-DISTIL int8, this run - {label}", "--- | --- | --- | ---"]
    for name, d in diffs.items():
        lines += [f"{name} | {k + 1} | {d['n'][k]} | {_fmt(d['mean'][k], d['se'][k], 100.0)}"
                  for k in range(len(d["mean"]))]
    return "\n".join(lines)


def parse_seeds(text: str) -> list[int]:
    """'3' -> seeds 0, 1, 2; '1,2,3' -> those seeds."""
    try:
        if "," in text:
            return [int(s) for s in text.split(",") if s]
        n = int(text)
    except ValueError:
        raise SystemExit(f"error: --seeds '{text}' is neither a count nor a comma list of "
                         "integers; give e.g. --seeds 3 or --seeds 1,2,3") from None
    return list(range(n))


def load_saved(path: Path, option: str, needs: tuple[str, ...] = ("jobs",)) -> dict:
    """A JSON that --json wrote, each dataset holding the keys `needs`, or a clear error
    naming the option and the fix (another script's JSON has "datasets" too)."""
    fix = "give a JSON that --json wrote (benchmarks/distill_quality.py)"
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"error: {option} {path}: {exc}; {fix}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("datasets"), dict):
        raise SystemExit(f"error: {option} {path}: no \"datasets\" object; {fix}")
    for name, entry in doc["datasets"].items():
        lacking = [k for k in needs if not isinstance(entry, dict) or k not in entry]
        if lacking:
            older = isinstance(entry, dict) and "methods" in entry  # ours, an older version
            raise SystemExit(f"error: {option} {path}: dataset {name!r} has no "
                             f"{', '.join(map(repr, lacking))}; " + (
                                 "this is an older version's JSON: rerun the benchmark with "
                                 "--cached-only over the same jobs to rewrite it" if older
                                 else fix))
    return doc


def report(doc: dict) -> str:
    """The printed tables: per stage, the targets, and what the paired differences decide."""
    return (table(doc) + "\n\nAgainst issue #12's targets (int8 means):\n\n"
            + targets_table(doc) + "\n\nWhat the jobs decide (paired B-DISTIL - RESCHED, "
            "int8, 95% t interval over jobs):\n\n" + decision_table(doc))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="watch,fsdd,mnist5k,digits")
    ap.add_argument("--seeds", default="3", help="a count N (seeds 0..N-1) or a comma list")
    ap.add_argument("--folds", type=int, default=3, help="watch subject folds")
    ap.add_argument("--stages", type=int, default=3)
    ap.add_argument("--config", default="default", help=f"one of {', '.join(CONFIGS)}")
    ap.add_argument("--student-epochs", type=int, default=None)
    ap.add_argument("--json", type=Path, default=None, help="write the aggregate here")
    ap.add_argument("--engine", choices=ENGINES, default="auto")
    ap.add_argument("--address", default=None, help="Ray cluster address (implies Ray)")
    ap.add_argument("--cached-only", action="store_true",
                    help="run nothing: aggregate the jobs that finished before")
    ap.add_argument("--report", type=Path, default=None, metavar="SAVED.json",
                    help="run nothing: print the tables of a JSON that --json wrote "
                         "(and, with --against, its difference from another)")
    ap.add_argument("--against", type=Path, default=None,
                    help="an earlier --json (another configuration): also print B-DISTIL's "
                         "int8 difference from it, job by job (same run and seed)")
    args = ap.parse_args()
    base = load_saved(args.against, "--against") if args.against else None
    if args.report:
        doc = load_saved(args.report, "--report",
                         ("teacher", "methods", "paired", "n_reached", "targets", "jobs"))
        text = report(doc)
        if base is not None:
            text += "\n\n" + against_table(against(doc, base), str(args.against))
        print(text)
        return 0
    pin_tf_threads()  # a job is one CPU: one TF thread in it, its teacher and this driver
    seeds = parse_seeds(args.seeds)
    runs = [r for d in args.datasets.split(",") if d for r in run_names(d, args.folds)]
    if not args.cached_only:
        train_teachers(runs, args.engine, args.address)
    specs = job_order(runs, seeds, args.config, args.stages, args.student_epochs)
    if args.cached_only:
        results = [r for r in (job(*spec, cached_only=True) for spec in specs) if r]
        print(f"{len(results)} of {len(specs)} jobs finished; aggregating those")
    else:
        results = run_jobs(specs, args.engine, args.address)
    doc = aggregate(results)
    doc["command"] = " ".join(sys.argv)
    doc["config"] = {"name": args.config, "overrides": CONFIGS[args.config]}
    text = report(doc)
    if base is not None:
        doc["against"] = {"path": str(args.against), "config": base.get("config"),
                          "bdistil_int8_minus": against(doc, base)}
        text += "\n\n" + against_table(doc["against"]["bdistil_int8_minus"],
                                        str(args.against))
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
