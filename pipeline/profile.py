"""`ped profile`: measured cycles of B-DISTIL's candidates and of a run's stages on a target.

Pool profiling (`profile_pools`): every architecture of `arch_grid` for the input kind/shape of
each shipped dataset (or of one) becomes an int8 `.tflite` with random weights, calibrated on
random data of the right shape; all candidates of one pool become the stages of ONE generated
bundle (our codegen), built into `firmware/profile` (`pio run -e <target>-profile`) and run
once: every stage is called `REPS` (3) times and timed with `board_cycles()`.
Recorded per architecture (`cost.arch_key`): median cost in the target's cost unit (the unit
of `ped_stage_t.cost_cycles`, `cost_unit` in profile.json: instructions on QEMU -icount,
deterministic; CPU cycles on real boards), all
repetitions, flash bytes of the stage object (code + weights, from the link map) and its
arena bytes (its scratch in the generated plan plus its exported feature maps). Results merge
into `boards/<board>/profile.json` with the compiler version and flags, and the cost model
is refitted on every measured architecture (`fit_model`) on whole-stage cycles against
per-layer features. Cycles per layer are recorded too (`layer_cycles`): the profiling build
(-DPED_PROFILE_LAYERS) timestamps every kernel call through model.h's PED_LAYER_DONE hook.

Run profiling (`profile_run`, via `ped profile --dataset X` / `ped run`): the run's own
generated stages (build/<dataset>/firmware) are measured the same way; their cycles go to
`profile/<target>.json` in the run directory (nothing upstream is rewritten), and codegen for
that target puts them into the stage table the scheduler admits stages with.
Only targets with simulated time are profiled: QEMU (-icount) and the Pico under rp2040js
(its Cortex-M0+ cycle model); native time is wall-clock (noisy) and its serial is a pty.
QEMU runs at `DEPLOY_ICOUNT_SHIFT` = `firmware_build.ICOUNT_SHIFT`, the one shift every QEMU
run of the project uses.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.boards import BOARDS_DIR, load_board
from pipeline.distill.cost import arch_key, features, predict
from pipeline.distill.pool import Candidate, arch_grid, build_student
from pipeline.errors import PedError
from pipeline.firmware_build import ICOUNT_SHIFT as HIL_ICOUNT_SHIFT
from pipeline.firmware_build import (
    PIO_BUILD_DIR,
    Target,
    _ensure_platformio,
    compile_flags,
    emulator_command,
    get_target,
    object_sizes,
    pio_command,
    qemu_command,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
# input kind, shape, classes of the shipped datasets (as their recipes window them)
SHIPPED: dict[str, tuple[str, tuple[int, ...], int]] = {
    "digits": ("image", (8, 8, 1), 10),
    "mnist5k": ("image", (28, 28, 1), 10),
    "fsdd": ("sequence", (40, 13), 10),
    "watch": ("sequence", (100, 6), 7),
}
N_CALIBRATION = 16
# QEMU's virtual time per instruction is 2^shift ns, so cycles of the 25 MHz counter scale with
# the shift: profile at the shift the deployed firmware runs at (`ped hil`, `ped run`: the
# harness's), so `cost_cycles` are in the units the scheduler sees there.
DEPLOY_ICOUNT_SHIFT = HIL_ICOUNT_SHIFT
REPS = 3  # PED_PROFILE_REPS in firmware/profile/profile_main.c
MAX_IMAGE_PARAM_BYTES = 1 << 20  # weights per profiling image (the mps2 link map has 4 MB)


@dataclass(frozen=True)
class Measurement:
    """One profiled stage: median cycles (target CPU cycles), every repetition, sizes."""

    cycles: int
    reps: tuple[int, ...]
    flash_bytes: int
    arena_bytes: int
    n_layers: int
    macs: int
    layer_cycles: tuple[int, ...] = ()  # median per kernel call, in stage order


def pools(dataset: str | None = None) -> dict[str, list[Candidate]]:
    """Candidates (no connections) per shipped dataset, or of `dataset` only."""
    names = [dataset] if dataset else list(SHIPPED)
    out = {}
    for name in names:
        if name not in SHIPPED:
            raise PedError(f"no candidate pool for dataset '{name}'",
                           f"use one of: {', '.join(SHIPPED)}")
        kind, shape, n_classes = SHIPPED[name]
        out[name] = [Candidate(a, shape, n_classes) for a in arch_grid(kind, shape)]
    return out


def candidate_tflite(c: Candidate, calibration: list[np.ndarray], seed: int = 0) -> bytes:
    """int8 .tflite of `c` with random weights, inputs [x], outputs [logits, feature]."""
    from pipeline.quantize.convert import convert_int8, reorder_io

    m = build_student(c)
    rng = np.random.default_rng(seed)
    for layer in m.layers:
        ws = layer.get_weights()
        if ws:
            layer.set_weights([rng.normal(0.0, 0.3, w.shape).astype(np.float32) for w in ws])
    tfl = convert_int8(m, [[x] for x in calibration])
    return reorder_io(tfl, [t.name for t in m.inputs], len(m.outputs))


def _calibration(shape: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, 1.0, (1, *shape)).astype(np.float32) for _ in range(N_CALIBRATION)]


def compiler_info(t: Target) -> dict[str, Any]:
    """Compiler version line and the C flags the profiled image was built with."""
    ver = subprocess.run([t.cc, "--version"], capture_output=True, text=True).stdout
    return {"compiler": ver.splitlines()[0] if ver else t.cc, "flags": compile_flags(t)}


def qemu_at_shift(t: Target, elf: Path, shift: int = DEPLOY_ICOUNT_SHIFT) -> list[str]:
    """`firmware_build.qemu_command` with the -icount shift the deployed firmware runs at."""
    cmd = qemu_command(t, elf)
    cmd[cmd.index("-icount") + 1] = f"shift={shift},align=off,sleep=off"
    return cmd


def measure_model_dir(target: str, model: Path) -> tuple[list[Measurement], int]:
    """Build `model` (a generated model directory) into firmware/profile for `target`, run it,
    and return per-stage measurements (in stage order) and the board counter Hz."""
    t = get_target(target)
    if not (t.qemu_machine or t.emulator):
        raise PedError(f"target {target} is not emulated with simulated time: its time is "
                       "wall-clock and its serial a pty, so `ped profile` does not measure it",
                       "profile on qemu-m4, qemu-m3 or pico (rp2040js)")
    env = f"{t.name}-profile"
    _ensure_platformio()
    res = subprocess.run(pio_command("run", "-e", env), cwd=REPO_ROOT, capture_output=True,
                         text=True, env=dict(os.environ, PED_MODEL_DIR=str(model.resolve()),
                                             PED_BUDGET_BY_CALLER="1"))
    if res.returncode != 0:
        raise PedError(f"`pio run -e {env}` failed:\n{res.stdout[-3000:]}{res.stderr[-1000:]}",
                       "fix the first compiler error it shows")
    elf = PIO_BUILD_DIR / env / t.program_name
    cmd = qemu_at_shift(t, elf) if t.qemu_machine else emulator_command(t, elf)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                         stdin=subprocess.DEVNULL).stdout
    if "PROFILE done" not in out:
        raise PedError(f"{env} did not finish under its emulator:\n{out[-2000:]}",
                       f"run it by hand: {' '.join(cmd)}")
    m = re.search(r"^PROFILE hz (\d+) cpu (\d+)", out, re.M)
    assert m is not None
    hz, cpu = int(m.group(1)), int(m.group(2))
    ticks: dict[int, list[int]] = {}
    for k, _, n in re.findall(r"^PROFILE stage (\d+) rep (\d+) ticks (\d+)", out, re.M):
        ticks.setdefault(int(k), []).append(-(-int(n) * cpu // hz))  # ceil to CPU cycles
    layer_ticks: dict[tuple[int, int], list[int]] = {}
    for k, layer, _, n in re.findall(r"^PROFILE layer (\d+) (\d+) rep (\d+) ticks (\d+)",
                                     out, re.M):
        layer_ticks.setdefault((int(k), int(layer)), []).append(-(-int(n) * cpu // hz))
    plan = json.loads((model / "plan.json").read_text())
    objs = object_sizes(elf.parent / "firmware.map")
    result = []
    for k, st in enumerate(plan["stages"], start=1):
        flash = sum(v["text"] + v["rodata"] + v["data"] for p, v in objs.items()
                    if Path(p.split("(")[-1].rstrip(")")).name == f"{st['name']}.o")
        reps_k = tuple(ticks.get(k, ()))
        if not reps_k:
            raise PedError(f"{env}: no timing for stage {k}", "see the QEMU output")
        arena = int(st["scratch_bytes"]) + sum(int(o["bytes"]) for o in st["outputs"]
                                               if o["location"] == "feature_out")
        layers = tuple(int(statistics.median(layer_ticks[(k, layer)]))
                       for layer in range(int(st["n_layers"])) if (k, layer) in layer_ticks)
        result.append(Measurement(int(statistics.median(reps_k)), reps_k, flash, arena,
                                  int(st["n_layers"]), int(st["macs"]), layers))
    return result, hz


def measure_candidates(target: str, cands: list[Candidate], log=print) -> list[Measurement]:
    """Measurements of candidates sharing one input shape, as few images as fit."""
    from pipeline.codegen import BundleSpec, StageSpec, generate
    from pipeline.distill.cost import cost

    if not cands:
        return []
    shape, n_classes = cands[0].input_shape, cands[0].n_classes
    calib = _calibration(shape)
    chunks: list[list[Candidate]] = [[]]
    weight = 0
    for c in cands:
        pb = cost(c, get_target(target).board).param_bytes
        if chunks[-1] and weight + pb > MAX_IMAGE_PARAM_BYTES:
            chunks.append([])
            weight = 0
        chunks[-1].append(c)
        weight += pb
    out: list[Measurement] = []
    for chunk in chunks:
        stages = []
        for k, c in enumerate(chunk, start=1):
            log(f"  convert {c.name} {shape}")
            stages.append(StageSpec(name=f"stage_{k:02d}", tflite=candidate_tflite(c, calib),
                                    feature_inputs=(None,), logits_output=0))
        with tempfile.TemporaryDirectory(prefix="ped-profile-") as tmp:
            gen = Path(tmp)
            generate(BundleSpec(n_classes, 0, tuple(stages)), gen)
            log(f"  build + run {len(chunk)} candidates on {target}")
            ms, _ = measure_model_dir(target, gen)
        out += ms
    return out


# ---- the cost model ------------------------------------------------------------------------

def fit_model(archs: dict[str, dict]) -> dict[str, Any]:
    """Non-negative least squares of cycles on `features`, each row weighted by 1/cycles (so
    the fit minimises relative error). Returns coefficients and the in-sample and
    leave-one-out relative errors per architecture (keys of `archs`)."""
    from scipy.optimize import nnls

    keys = [k for k, a in archs.items() if a.get("features") and a.get("cycles")]
    if len(keys) < 3:
        return {}
    names = sorted({f for k in keys for f in archs[k]["features"]})
    a_mat = np.array([[archs[k]["features"].get(f, 0.0) for f in names] for k in keys])
    y = np.array([float(archs[k]["cycles"]) for k in keys])
    scale = a_mat.max(axis=0)
    scale[scale == 0] = 1.0

    def solve(rows: np.ndarray) -> np.ndarray:
        w = 1.0 / y[rows]
        coef, _ = nnls((a_mat[rows] / scale) * w[:, None], y[rows] * w)
        return coef / scale

    coef = solve(np.arange(len(keys)))
    errors, loo = {}, {}
    for i, k in enumerate(keys):
        errors[k] = float(a_mat[i] @ coef / y[i] - 1.0)
        rest = np.array([j for j in range(len(keys)) if j != i])
        loo[k] = float(a_mat[i] @ solve(rest) / y[i] - 1.0)
    abs_err = [abs(e) for e in errors.values()]
    abs_loo = [abs(e) for e in loo.values()]
    return {"features": names, "coefficients": dict(zip(names, map(float, coef), strict=True)),
            "n": len(keys), "relative_error": errors, "loo_relative_error": loo,
            "median_abs_error": float(np.median(abs_err)), "max_abs_error": float(max(abs_err)),
            "loo_median_abs_error": float(np.median(abs_loo)),
            "loo_max_abs_error": float(max(abs_loo))}


def profile_path(target: str) -> Path:
    return BOARDS_DIR / get_target(target).board / "profile.json"


def load_profile(target: str) -> dict:
    p = profile_path(target)
    return json.loads(p.read_text()) if p.is_file() else {}


def write_profile(target: str, prof: dict) -> Path:
    """Refit the model on every measured architecture and write profile.json."""
    t = get_target(target)
    archs = prof.setdefault("architectures", {})
    model = fit_model(archs)
    for k, a in archs.items():
        a["model_cycles"] = round(predict(model.get("coefficients", {}), a["features"]))
        a["model_error"] = model.get("relative_error", {}).get(k)
        a["model_loo_error"] = model.get("loo_relative_error", {}).get(k)
    prof["model"] = {k: v for k, v in model.items()
                     if k not in ("relative_error", "loo_relative_error")}
    prof.update({"board": t.board, "target": t.name, **compiler_info(t),
                 "cost_unit": load_board(t.board).cost_unit,
                 "cycles_unit": ("instructions (QEMU -icount shift="
                                 f"{DEPLOY_ICOUNT_SHIFT}: board_cycles() = 25 MHz ticks x "
                                 "instructions per tick; not a real core's cycles)"
                                 if t.qemu_machine else
                                 "target CPU cycles (board_cpu_hz; rp2040js: its per-"
                                 "instruction Cortex-M0+ cycle model)" if t.emulator else
                                 "target CPU cycles (board_cpu_hz)"),
                 "icount_shift": DEPLOY_ICOUNT_SHIFT if t.qemu_machine else None,
                 "noisy": not (t.qemu_machine or t.emulator)})
    path = profile_path(target)
    path.write_text(json.dumps(prof, indent=1, sort_keys=True) + "\n")
    return path


def refit_profile(target: str, log=print) -> dict:
    """Recompute the features of every recorded pool architecture (after the cost model's
    features change; the measured cycles stay) and refit the model: no QEMU run."""
    prof = load_profile(target)
    archs = prof.get("architectures", {})
    for cands in pools().values():
        for c in cands:
            if arch_key(c) in archs:
                archs[arch_key(c)]["features"] = features(c)
    write_profile(target, prof)
    m = prof["model"]
    log(f"{target}: refit on {m['n']} architectures, median |error| "
        f"{100 * m['median_abs_error']:.2f}%, max {100 * m['max_abs_error']:.2f}%")
    return prof


def profile_pools(target: str, dataset: str | None = None, log=print) -> dict:
    """Measure every pool candidate (of `dataset` or all shipped) and update profile.json."""
    prof = load_profile(target)
    prof.pop("candidates", None)  # legacy name-keyed entries: superseded by architectures
    archs = prof.setdefault("architectures", {})
    for name, cands in pools(dataset).items():
        log(f"pool {name}: {len(cands)} candidates")
        for c, m in zip(cands, measure_candidates(target, cands, log), strict=True):
            archs[arch_key(c)] = {
                "name": c.name, "pool": name, "kind": c.arch.kind, "widths": list(c.arch.widths),
                "input_shape": list(c.input_shape), "n_classes": c.n_classes,
                "cycles": m.cycles, "reps": list(m.reps), "layer_cycles": list(m.layer_cycles),
                "flash_bytes": m.flash_bytes,
                "arena_bytes": m.arena_bytes, "n_layers": m.n_layers, "macs": m.macs,
                "features": features(c)}
    prof["reps"] = REPS
    write_profile(target, prof)
    return prof


def profile_run(run_root: Path, target: str) -> tuple[list[int], list[list[int]]]:
    """Measure the run's generated stages (run_root/firmware) on `target`; returns cycles per
    stage in the target's CPU cycles, and per stage the cycles of each kernel call. Writes
    nothing upstream: the caller
    (`steps.step_profile`) records them in `profile/<target>.json`, which codegen reads."""
    model = run_root / "firmware"
    if not (model / "plan.json").is_file():
        raise PedError(f"no generated model in {model}", "run `ped codegen` first")
    ms, _ = measure_model_dir(target, model)
    cycles = [m.cycles for m in ms]
    sj = run_root / "tflite" / "stages.json"
    n = len(json.loads(sj.read_text())["stages"])
    if n != len(cycles):
        raise PedError(f"{sj} has {n} stages, the generated C {len(cycles)}",
                       "re-run `ped codegen` so the C matches the stage table")
    return cycles, [list(m.layer_cycles) for m in ms]


def run_candidates(ensemble: dict) -> list[Candidate]:
    """The candidates (with their connections) of a run's `students/ensemble.json`."""
    from pipeline.distill.pool import Arch, FeatureRef

    shape, n = tuple(ensemble["input_shape"]), int(ensemble["n_classes"])
    maps: dict[tuple[int, int], tuple[int, ...]] = {}
    out = []
    for s in ensemble["stages"]:
        reads = tuple(FeatureRef(i["from_stage"], i["from_output"],
                                 maps[(i["from_stage"], i["from_output"])])
                      for i in s["inputs"][1:])
        a = s["architecture"]
        out.append(Candidate(Arch(a["kind"], tuple(a["widths"])), shape, n, s["stage"], reads))
        for j, o in enumerate(s["outputs"]):
            if o["role"] == "feature":
                maps[(s["stage"], j)] = tuple(o["shape"])
    return out
