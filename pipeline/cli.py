"""`ped`: the command line. Each subcommand is one pipeline step (plus `run`, all of them).

Errors print as one line with the fix and exit 2; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from pipeline.engine import ENGINES
from pipeline.errors import PedError
from pipeline.progress import console
from pipeline.stats import accuracy_cell, split_note
from pipeline.steps import (
    Context,
    custom_recipe,
    model_key,
    step_codegen,
    step_data,
    step_distill,
    step_quantize,
    step_teacher,
)


def _shape(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 100,6") from None


def _common(p: argparse.ArgumentParser, dataset_required: bool = True) -> None:
    p.add_argument("--dataset", "-d", required=dataset_required, default=None,
                   help="a recipe in datasets/ (watch, fsdd, mnist5k, digits) or imported data")
    p.add_argument("--build-dir", type=Path, default=None,
                   help="where run directories live (default: build/)")
    p.add_argument("--fold", type=int, default=None,
                   help="group-split datasets (watch): hold out the k-th block of subjects; "
                        "the run directory becomes build/<dataset>-fold<k>/")
    p.add_argument("--force", action="store_true", help="re-run the step even if up to date")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ped",
        description="Progressive ensemble distillation for microcontrollers: "
                    "recipe -> teacher -> int8 students -> C -> firmware -> HIL.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="show everything: TensorFlow's and PlatformIO's logs too")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("data", help="load, window, split and normalise a dataset")
    _common(p, dataset_required=False)
    p.add_argument("--from", dest="source", type=Path, default=None,
                   help="import your own data: FILE.npz (X, y, optional groups) or FILE.csv")
    p.add_argument("--name", default=None, help="name for imported data (default: file stem)")
    p.add_argument("--shape", type=_shape, default=(),
                   help="csv only: per-sample shape of the feature columns, e.g. 100,6")
    p.set_defaults(func=cmd_data)

    p = sub.add_parser("teacher", help="train the teacher network")
    _common(p)
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    p.set_defaults(func=cmd_teacher)

    p = sub.add_parser("distill", help="B-DISTIL: distill the teacher into K int8-ready students")
    _common(p)
    p.add_argument("--target", default=None, help="board whose per-student budget applies "
                   "(boards/<name>/board.toml; default qemu-m4)")
    _quick_distill_args(p)
    p.add_argument("--objective", choices=("residual_kd", "game"), default=None,
                   help="weak-learner objective (default residual_kd; see docs/distill.md)")
    p.add_argument("--gamma", type=float, default=None, help="weak-learning edge threshold")
    p.add_argument("--eta", type=float, default=None, help="adversary step size")
    p.add_argument("--growth", type=float, default=None,
                   help="stage t costs at least GROWTH x stage t-1 (default 1: off)")
    p.add_argument("--views", type=int, default=None,
                   help="teacher-labelled augmented views per train example (0: off)")
    p.add_argument("--edge", choices=("normalised", "cosine"), default=None,
                   help="weak-learning test's edge")
    p.add_argument("--line-search", action=argparse.BooleanOptionalAction, default=None,
                   help="alpha by line search on val; a stage must lower the val potential")
    p.add_argument("--corrective", action=argparse.BooleanOptionalAction, default=None,
                   help="refit every stage's alpha after each round (no prefix may lose)")
    p.add_argument("--bands", type=float, default=None,
                   help="FIND-WL over cost bands growing by this factor (0: first weak "
                        "learner from the previous stage's cost)")
    p.add_argument("--joint-epochs", type=int, default=None,
                   help="epochs of the joint fine-tune of all students after each round "
                        "(0: off; no prefix may lose val accuracy)")
    p.set_defaults(func=cmd_distill)

    p = sub.add_parser("quantize", help="int8 .tflite per student, checked against TFLM")
    _common(p)
    p.set_defaults(func=cmd_quantize)

    p = sub.add_parser("codegen", help="generate C for the int8 students (kernels + arena plan)")
    _common(p)
    _model_key_arg(p)
    p.set_defaults(func=cmd_codegen)

    p = sub.add_parser("profile", help="measure cycles, flash and arena of B-DISTIL's candidates "
                                       "(or of a run's stages) on a target: "
                                       "boards/<board>/profile.json")
    _common(p, dataset_required=False)
    p.add_argument("--target", "-t", default="qemu-m4", help="qemu-m4 or qemu-m3 (default qemu-m4)")
    p.add_argument("--pool", default=None,
                   help="candidate pool to profile: a shipped dataset's input shape (digits, "
                        "mnist5k, fsdd, watch) or 'all' (default: all, unless --dataset is given)")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("build", help="build the firmware for a target (pio run) and check "
                                     "its flash/RAM against boards/<board>/board.toml")
    _firmware_args(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("flash", help="build, then upload (QEMU targets: start the emulator)")
    _firmware_args(p)
    p.add_argument("--port", default=None,
                   help="pico: the RPI-RP2 drive's mount point (default: found), or tcp:PORT "
                        "to run the image under rp2040js; QEMU targets: the serial backend, "
                        "e.g. pty or tcp:127.0.0.1:4444,server=on,wait=off (default: pty)")
    p.add_argument("--probe", choices=("pyocd", "openocd"), default=None,
                   help="flash a real board through a debug probe with this tool (nano33ble, "
                        "nucleo-l476rg: default whichever is installed; pico: instead of UF2)")
    p.set_defaults(func=cmd_flash)

    p = sub.add_parser("devices", help="serial ports with USB VID:PID and the board each "
                                       "looks like")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("hil", help="hardware-in-the-loop: stream the test split to a board and "
                                   "check every stage bit for bit against the host")
    _common(p)
    _hil_args(p)
    p.set_defaults(func=cmd_hil)

    p = sub.add_parser("trial", help="field trial: continuous anytime inference on a board, "
                                     "every record saved to <run>/trial/<target>/trial.sqlite")
    _common(p)
    p.add_argument("--target", "-t", required=True, help="native, qemu-m4, qemu-m3 or a board")
    p.add_argument("--port", default=None, help="a real board's serial port")
    p.add_argument("--duration", type=float, default=None,
                   help="seconds (default: one pass of the recording)")
    p.add_argument("--recording", type=Path, default=None,
                   help="CSV of samples to stream (default: the test split)")
    p.add_argument("--period", type=float, default=None,
                   help="window period in s (default: the recipe's hop / sample rate)")
    p.add_argument("--drain", type=int, default=None,
                   help="emulated boards: start the battery full and drain it by this many "
                        "permille per 10^9 CPU cycles (the trial ends at brown-out)")
    p.set_defaults(func=cmd_trial)

    p = sub.add_parser("trial-report", help="report.md + plots of a field trial")
    _common(p)
    p.add_argument("--target", "-t", required=True)
    p.set_defaults(func=cmd_trial_report)

    p = sub.add_parser("export", help="export a run for other tools: `mlperf` = the test split "
                                      "in the MLPerf Tiny runner's dataset layout + tests yaml")
    p.add_argument("format", choices=("mlperf",), help="what to export")
    _common(p)
    p.add_argument("--out", type=Path, default=None,
                   help="dataset folder to write (default: <run>/mlperf); pass it to the "
                        "runner as --dataset_path")
    p.add_argument("--files", type=int, default=None,
                   help="export only the first N test examples (default: all)")
    p.add_argument("--iterations", type=int, default=None,
                   help="N of the performance entry's `infer N 10` (default: about 13 s of "
                        "inference on --target, timed on it for native / QEMU, else by the "
                        "stage table's cycles)")
    p.add_argument("--target", "-t", default="native",
                   help="the board the performance entry is sized for (default native)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("report", help="report.md, plots and metrics.json from the run")
    _common(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("run", help="the whole pipeline, each step skipped when up to date")
    _common(p, dataset_required=False)
    _hil_args(p)
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    _quick_distill_args(p)
    p.set_defaults(func=cmd_run, dataset="watch")
    for each in sub.choices.values():  # `ped run --verbose` as well as `ped --verbose run`
        each.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                          help="show everything: TensorFlow's and PlatformIO's logs too")
    return parser


def _quick_distill_args(p: argparse.ArgumentParser) -> None:
    """The distill knobs `ped distill` and `ped run` share."""
    from pipeline.distill.bdistil import FRESH_VARIANTS, GAIN_ON  # no TensorFlow: about 20 ms

    p.add_argument("--stages", "-k", type=int, default=None, help="maximum number of stages K")
    p.add_argument("--student-epochs", type=int, default=None,
                   help="max epochs per student (early stopping on val)")
    p.add_argument("--seed", type=int, default=None, help="seed of every student's training")
    p.add_argument("--no-connections", action="store_true",
                   help="students do not read earlier students' feature maps")
    p.add_argument("--no-baselines", action="store_true",
                   help="skip RESCHED / NO-RESCHED (faster)")
    p.add_argument("--fresh-reads", choices=tuple(FRESH_VARIANTS), default=None,
                   help="what a fresh candidate reads: the previous stage's map, nothing "
                        "(an independent student; the default), or one of each")
    p.add_argument("--gain-on", choices=GAIN_ON, default=None,
                   help="what a stage's line search and val gain measure: the KD potential "
                        "(kd, the default) or the cross-entropy against the labels alone")
    p.add_argument("--small-seeds", type=int, default=None,
                   help="train each candidate under 20k MACs with this many seeds and keep "
                        "the best on val (default 1; 2 lifted watch's stage 1 by 2 points, "
                        "docs/distill.md)")
    p.add_argument("--monotone-z", type=float, default=None,
                   help="the monotone test tolerates a val accuracy loss within this many "
                        "standard errors (c - b <= z sqrt(b + c) for c val examples broken, "
                        "b fixed; 0 = strict)")
    p.add_argument("--min-z", type=float, default=None,
                   help="from round 2 a stage must pass a sign test on val: of the val "
                        "examples it changes, fixed b and broken c give b - c >= "
                        "max(1, z sqrt(b + c)) (default 1; 0 = off)")
    p.add_argument("--joint-last", action=argparse.BooleanOptionalAction, default=None,
                   help="run the joint fine-tune of every student in the last round too")
    p.add_argument("--engine", choices=ENGINES, default="auto",
                   help="where a round's candidates and the baselines train: side by side in "
                        "Ray workers (the .[sweep] extra; auto: when installed and the machine "
                        "has 2+ CPUs) or one after another here; the students are the same")


def _firmware_args(p: argparse.ArgumentParser) -> None:
    from pipeline.firmware_build import target_help

    p.add_argument("--target", "-t", required=True, help=target_help())
    p.add_argument("--dataset", "-d", default=None,
                   help="build this run's generated model (build/<dataset>/firmware), running "
                        "the steps before it as needed")
    p.add_argument("--build-dir", type=Path, default=None, help="default: build/")
    p.add_argument("--model", type=Path, default=None,
                   help="generated model directory (ped codegen's build/<dataset>/firmware); "
                        "default: $PED_MODEL_DIR, else the fake demo model")
    _model_key_arg(p)


def _model_key_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model-key", default=None,
                   help="the model key the firmware's text mode reports (m-model-[KEY]; the "
                        "MLPerf Tiny runner picks its test entry by it); kept for the run "
                        "(default: the dataset name)")


def _run_context(args: argparse.Namespace) -> Context:
    return Context(dataset=args.dataset, build_dir=args.build_dir,
                   model_key=getattr(args, "model_key", None))


def cmd_build(args: argparse.Namespace) -> None:
    from pipeline.firmware_build import STOCK_ENVS, build, build_stock
    from pipeline.steps import step_build

    if args.target in STOCK_ENVS and not args.dataset:
        build_stock(args.target, args.model)
        return
    if args.dataset:
        ctx = _run_context(args)
        size = step_build(ctx, args.target)
        console.print(f"{args.target}: flash {size['flash']:,} B, RAM {size['ram']:,} B "
                      f"(within budget); image in {ctx.run.path('bin')}")
        key = model_key(ctx)
        console.print(f"model key {key} (text mode answers profile% with "
                      f"{escape(f'm-model-[{key}]')})")
        return
    if args.model_key:
        raise PedError("--model-key needs --dataset (the key is built into a run's model)",
                       "add --dataset NAME, or drop --model-key")
    size = build(args.target, args.model)
    console.print(f"{args.target}: flash {size.flash:,} B, RAM {size.ram:,} B (within budget)")


def cmd_flash(args: argparse.Namespace) -> None:
    from pipeline.firmware_build import flash

    model = args.model
    if args.dataset:
        ctx = _run_context(args)
        step_codegen(ctx)
        model = ctx.run.path("firmware")
    flash(args.target, args.port, model, probe=args.probe)


def cmd_devices(args: argparse.Namespace) -> None:
    from pipeline.flashing import serial_devices

    devs = serial_devices()
    if not devs:
        console.print("no serial ports found (a Pico in BOOTSEL mode is a drive, not a port)")
        return
    table = Table(title="serial ports")
    for col in ("port", "VID:PID", "description", "looks like"):
        table.add_column(col)
    for d in devs:
        ids = f"{d.vid:04x}:{d.pid:04x}" if d.vid is not None else "-"
        table.add_row(d.port, ids, d.description, d.looks_like or "-")
    console.print(table)


def _context(args: argparse.Namespace) -> Context:
    overrides = {}
    if getattr(args, "epochs", None):
        overrides["epochs"] = args.epochs
    return Context(dataset=args.dataset, build_dir=args.build_dir, force=args.force,
                   progress=not args.no_progress, overrides=overrides, fold=args.fold,
                   model_key=getattr(args, "model_key", None))


def cmd_data(args: argparse.Namespace) -> None:
    if args.source is not None:
        name = args.name or args.source.stem
        args.dataset = name
        ctx = _context(args)
        ds = step_data(ctx, custom_recipe(args.source, name, args.shape))
    else:
        if args.dataset is None:
            raise PedError("no dataset given", "pass --dataset NAME or --from FILE.npz")
        ctx = _context(args)
        ds = step_data(ctx)
    meta = ds.meta
    table = Table(title=f"{meta['name']}: input {tuple(meta['input_shape'])}, "
                        f"{len(meta['class_names'])} classes")
    table.add_column("class")
    for s in ("train", "val", "test"):
        table.add_column(s, justify="right")
    for i, name in enumerate(meta["class_names"]):
        table.add_row(name, *(str(meta["counts"][s][i]) for s in ("train", "val", "test")))
    table.add_row("[bold]total", *(f"[bold]{sum(meta['counts'][s])}"
                                   for s in ("train", "val", "test")))
    console.print(table)
    if meta["groups"]["train"] is not None:
        for s in ("train", "val", "test"):
            console.print(f"{s} groups: {', '.join(meta['groups'][s])}")
    console.print(f"run directory: {ctx.run.root}")


def _test_size(ctx: Context) -> int | None:
    from pipeline.report import test_split_size

    return test_split_size(ctx.run.root)


def _print_teacher(metrics: dict, dataset: str, n_test: int | None) -> None:
    console.print(f"teacher {dataset}: test accuracy "
                  f"{accuracy_cell(metrics['test_accuracy'], n_test)}% (n = {n_test}), "
                  f"{metrics['params']:,} params, {metrics['macs']:,} MACs, "
                  f"{metrics['epochs_run']} epochs in {metrics['train_seconds']:.0f} s")


def cmd_teacher(args: argparse.Namespace) -> None:
    ctx = _context(args)
    _print_teacher(step_teacher(ctx), ctx.dataset, _test_size(ctx))


def print_quantize(result: dict) -> None:
    n = result["n_samples"]
    table = Table(title=f"host evaluation per stage: accuracy % [95% interval], n = {n} test "
                        "samples", caption=escape(split_note(n)))
    for col in ("stage", "float %", "LiteRT-REF %", "TFLM %", "drop", "REF!=TFLM",
                ".tflite B", "TFLM arena B"):
        table.add_column(col, justify="right")
    for k in range(len(result["float"])):
        st = result["per_stage"][k]
        table.add_row(str(k + 1), accuracy_cell(result["float"][k], n),
                      accuracy_cell(result["litert_ref"][k], n),
                      accuracy_cell(result["tflm"][k], n),
                      f"{100 * result['drop_tflm_vs_float'][k]:+.1f}",
                      f"{result['litert_ref_vs_tflm_diff_elements'][k]}"
                      f"/{result['int8_output_elements'][k]}",
                      f"{st['tflite_bytes']:,}", f"{st['tflm_arena_bytes']:,}")
    console.print(table)


def cmd_quantize(args: argparse.Namespace) -> None:
    print_quantize(step_quantize(_context(args)))


def _distill_config(args: argparse.Namespace):
    from dataclasses import replace

    from pipeline.distill.bdistil import DistillConfig

    cfg = DistillConfig()
    given = {k: getattr(args, k, None) for k in ("target", "stages", "objective", "gamma",
                                                  "eta", "seed", "growth", "views", "edge",
                                                  "line_search", "corrective", "bands",
                                                  "joint_epochs", "fresh_reads", "gain_on",
                                                  "small_seeds", "monotone_z",
                                                  "min_z", "joint_last")}
    cfg = replace(cfg, **{k: v for k, v in given.items() if v is not None})
    if args.no_connections:
        cfg = replace(cfg, connections=False)
    if args.student_epochs:  # a quick run: the joint step gets no more epochs than a student
        cfg = replace(cfg, solver=replace(cfg.solver, epochs=args.student_epochs),
                      joint_epochs=min(cfg.joint_epochs, args.student_epochs))
    if cfg.stages < 1:
        raise PedError(f"--stages {cfg.stages} is not a number of stages",
                       "give --stages 1 or more")
    return cfg


def cmd_distill(args: argparse.Namespace) -> None:
    from pipeline.boards import load_board

    cfg = _distill_config(args)
    load_board(cfg.target)  # refuse an unknown board before any training
    ctx = _context(args)
    m = step_distill(ctx, cfg, baselines=not args.no_baselines, engine=args.engine)
    n = _test_size(ctx)
    table = Table(title=f"{ctx.dataset}: test accuracy % [95% interval] by stage, teacher "
                        f"{accuracy_cell(m['teacher']['test_accuracy'], n)}% at "
                        f"{m['teacher']['macs']:,} MACs", caption=escape(split_note(n)))
    for col in ("stage", "student", "cum. MACs", "B-DISTIL", "RESCHED", "NO-RESCHED"):
        table.add_column(col, justify="right")
    for i, row in enumerate(m["bdistil"]):
        def acc(key: str, i: int = i) -> str:
            rows = m.get(key) or []
            return accuracy_cell(rows[i]["test_accuracy"], n) if i < len(rows) else "-"
        table.add_row(str(row["stage"]), row["candidate"], f"{row['cumulative_macs']:,}",
                      acc("bdistil"), acc("resched"), acc("no_resched"))
    console.print(table)
    console.print(f"students: {ctx.run.path('students')}")


def cmd_codegen(args: argparse.Namespace) -> None:
    ctx = _context(args)
    plan = step_codegen(ctx)
    table = Table(title=f"{ctx.dataset}: generated C, arena {plan['arena_bytes']:,} bytes "
                        f"({plan['persistent_bytes']:,} persistent + "
                        f"{plan['scratch_bytes']:,} scratch)")
    for col in ("stage", "kernel calls", "MACs", "scratch bytes"):
        table.add_column(col, justify="right" if col != "stage" else "left")
    for s in plan["stages"]:
        table.add_row(s["name"], str(s["n_layers"]), f"{s['macs']:,}", f"{s['scratch_bytes']:,}")
    console.print(table)
    console.print(f"generated into {ctx.run.path('firmware')}")


def cmd_profile(args: argparse.Namespace) -> None:
    from pipeline.profile import profile_pools

    if args.pool or not args.dataset:
        pool = None if args.pool in (None, "all") else args.pool
        prof = profile_pools(args.target, pool, log=lambda m: console.print(m))
        unit = prof.get("cost_unit", "cycles")
        table = Table(title=f"{args.target}: profiled candidates (cost in {unit})")
        for col in ("pool", "candidate", "MACs", unit, "model", "error %", "flash B",
                    "arena B"):
            table.add_column(col, justify="right" if col not in ("pool", "candidate") else "left")
        for a in prof["architectures"].values():
            if pool is None or a["pool"] == pool:
                err = a.get("model_error")
                table.add_row(a["pool"], a["name"], f"{a['macs']:,}", f"{a['cycles']:,}",
                              f"{a['model_cycles']:,}",
                              "-" if err is None else f"{100 * err:+.1f}",
                              f"{a['flash_bytes']:,}", f"{a['arena_bytes']:,}")
        console.print(table)
        m = prof.get("model", {})
        if m:
            console.print(f"cost model on {m['n']} architectures: median |error| "
                          f"{100 * m['median_abs_error']:.2f}%, max {100 * m['max_abs_error']:.2f}%"
                          f" (leave-one-out median {100 * m['loo_median_abs_error']:.2f}%, max "
                          f"{100 * m['loo_max_abs_error']:.2f}%)")
    if args.dataset:
        from pipeline.steps import step_profile

        ctx = _context(args)
        cycles = step_profile(ctx, args.target)
        step_codegen(ctx, args.target)
        from pipeline.report import cost_unit

        console.print(f"{ctx.dataset}: measured {cost_unit(args.target)} per stage on "
                      f"{args.target}: "
                      f"{', '.join(f'{c:,}' for c in cycles)}; in "
                      f"{ctx.run.path('profile', args.target + '.json')} and the generated "
                      "stage table")


# `ped run`'s farm of emulated boards on a machine of 2+ CPUs (idle boards sleep). Measured on
# the 2-core machine, watch, K = 4: the HIL step took 83 s with 2 boards (88 retried requests)
# and 97 s with 4 (427 retried: four emulators and the host share two cores)
RUN_FARM = 2


def _hil_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", "-t", default="qemu-m4",
                   help="native, qemu-m4, qemu-m3 (started by the harness) or a real board "
                        "with --port (default qemu-m4)")
    p.add_argument("--port", default=None, action="append",
                   help="serial URL of a flashed board: /dev/ttyACM0, socket://host:port, ...; "
                        "repeat it for a farm (the test split is sharded over the boards)")
    p.add_argument("--boards", type=int, default=None,
                   help="emulated targets: run a farm of N emulator processes, the test split "
                        "sharded over them (default: 1 for `ped hil`; `ped run`: "
                        f"{RUN_FARM} when the machine has 2+ CPUs)")
    p.add_argument("--sweep-samples", type=int, default=200,
                   help="stratified, seeded sample of the test split for the deadline sweep "
                        "and the battery run (default 200, or the whole split when smaller)")


def print_hil(summary: dict, target: str) -> None:
    n, ok = summary["samples"], summary["bit_exact_samples"]
    mism, inc = summary.get("mismatched", n - ok), summary.get("incomplete", 0)
    if ok == n:
        verdict = f"bit-exact: {ok}/{n} samples, all stages"
    else:
        parts = [f"{ok}/{n} bit-exact"]
        if mism:
            parts.append(f"{mism} MISMATCHED (first: {', '.join(summary['first_mismatches'])})")
        if inc:
            parts.append(f"{inc} incomplete: frames lost on every try, not compared (first: "
                         f"{', '.join(summary['first_incomplete'])}; `ped hil` retries them)")
        if summary.get("not_run"):
            parts.append(f"{summary['not_run']} not run")
        verdict = "; ".join(parts)
    complete = summary.get("complete", n)
    table = Table(title=f"{target}: {verdict}",
                  caption=escape(split_note(complete, "complete samples")))
    from pipeline.report import cost_unit

    for col in ("stage", "device accuracy % [95%]", f"median {cost_unit(target)}"):
        table.add_column(col, justify="right")
    for k, a in enumerate(summary["device_accuracy"]):
        if a is not None:
            table.add_row(str(k + 1), accuracy_cell(a, complete),
                          f"{summary['median_cycles'][k]:,.0f}")
    console.print(table)
    devices = summary.get("devices", [])
    if len(devices) > 1:
        farm = Table(title=f"{target}: farm of {len(devices)} devices")
        for col in ("device", "samples", "samples/s", "retries", "bad frames", "resets",
                    "reconnects", "status"):
            farm.add_column(col, justify="right")
        for d in devices:
            sps = d["samples_per_second"]
            farm.add_row(d["device"], str(d["samples"]), f"{sps:.1f}" if sps else "-",
                         str(d["retries"]), str(d["bad_frames"]), str(d["resets"]),
                         str(d["reconnects"]), d["status"])
        console.print(farm)


def cmd_hil(args: argparse.Namespace) -> None:
    from pipeline.steps import step_hil

    print_hil(step_hil(_context(args), args.target, args.port, args.boards or 1,
                       args.sweep_samples),
              args.target)


def cmd_trial(args: argparse.Namespace) -> None:
    from pipeline.trial import step_trial, trial_dir, trial_report

    ctx = _context(args)
    summary = step_trial(ctx, args.target, args.port, args.duration, args.recording,
                         args.period, args.drain)
    acct = summary["accounting"]
    console.print(f"trial on {args.target}: {acct['records']} records, "
                  f"{len(acct['missing'])} missing, {len(acct['duplicated'])} duplicated, "
                  f"{acct['overflow_dropped']} dropped by overflow; ended by "
                  f"{summary['stats']['ended']}")
    console.print(f"report: {trial_report(trial_dir(ctx.run.root, args.target))}")


def cmd_trial_report(args: argparse.Namespace) -> None:
    from pipeline.trial import trial_dir, trial_report

    console.print(f"report: {trial_report(trial_dir(_context(args).run.root, args.target))}")


def _inference_seconds(ctx: Context, target: str) -> float:
    """One full-ensemble inference on `target`: measured by the firmware's own laps on an
    emulated target (built and started here), else from the stage table's cycles."""
    from pipeline.quantize import load_stage_table
    from pipeline.steps import EMULATED_TARGETS, stage_cost_us

    _, table = load_stage_table(ctx.run.path("tflite"))
    if target not in EMULATED_TARGETS:
        return sum(stage_cost_us(ctx.run, target, table)) / 1e6
    import numpy as np

    from pipeline.data.prepare import Dataset
    from pipeline.harness import targets
    from pipeline.mlperf import measure_inference_seconds
    from pipeline.quantize import quantize_input
    from pipeline.steps import step_build

    step_build(ctx, target)
    image = ctx.run.path("bin", target, "program" if target == "native" else "firmware.elf")
    x = Dataset.load(ctx.run.path("data", "dataset")).x["test"][:1]
    inp = table["stages"][0]["inputs"][0]
    data = np.asarray(quantize_input(x, inp["scale"], inp["zero_point"]), np.int8).tobytes()
    with targets.running(target, image) as t:
        seconds = measure_inference_seconds(t.url, data)
    console.print(f"{target}: {seconds * 1e6:.1f} µs per inference (the firmware's m-lap-us)")
    return seconds


def cmd_export(args: argparse.Namespace) -> None:
    from pipeline.mlperf import export_mlperf

    ctx = _context(args)
    step_codegen(ctx)  # the model key the firmware carries
    out = args.out or ctx.run.path("mlperf")
    per_inference = 0.0
    if args.iterations is None:
        per_inference = _inference_seconds(ctx, args.target)
    ex = export_mlperf(ctx.run.root, out, model_key(ctx), args.iterations, args.files,
                       per_inference)
    console.print(f"{ex.files} test files for model key {ex.key} in {out / ex.key}; "
                  f"tests yaml: {out / 'tests_accuracy.yaml'}, {out / 'tests_performance.yaml'}"
                  f" (performance: infer {ex.iterations} 10)")
    console.print(f"host Top-1 through the device's probabilities: {ex.host_top1:.1f}% "
                  f"(TFLM final stage argmax: {ex.host_tflm_top1:.1f}%); in {out / 'host.json'}")


def cmd_report(args: argparse.Namespace) -> None:
    from pipeline.steps import step_report

    step_report(_context(args))


def cmd_run(args: argparse.Namespace) -> None:
    from pipeline.steps import step_hil, step_profile, step_report

    ctx = _context(args)
    _print_teacher(step_teacher(ctx), ctx.dataset, _test_size(ctx))
    from dataclasses import replace

    cfg = replace(_distill_config(args), target=args.target if args.port is None else "qemu-m4")
    step_distill(ctx, cfg, baselines=not args.no_baselines, engine=args.engine)
    print_quantize(step_quantize(ctx))
    from pipeline.firmware_build import TARGETS

    t = TARGETS.get(args.target)
    if args.port is None and t is not None and (t.qemu_machine or t.emulator):
        step_profile(ctx, args.target)  # measured stage cycles for admission control
    step_codegen(ctx, args.target)
    boards = args.boards or (RUN_FARM if args.port is None and (os.cpu_count() or 1) > 1 else 1)
    print_hil(step_hil(ctx, args.target, args.port, boards, args.sweep_samples),
              args.target)
    step_report(ctx)
    console.print(f"run directory: {ctx.run.root}")


def main(argv: list[str] | None = None) -> int:
    from pipeline import quiet

    parser = build_parser()
    args = parser.parse_args(argv)
    quiet.configure(args.verbose)  # before anything imports TensorFlow
    try:
        args.func(args)
    except PedError as exc:
        if args.debug:
            raise
        console.print(f"[bold red]error:[/] {exc.problem}")
        if exc.fix:
            console.print(f"  [bold]fix:[/] {exc.fix}")
        return 2
    except KeyboardInterrupt:
        console.print("interrupted; finished steps are kept in the manifest")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
