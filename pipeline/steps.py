"""The pipeline's steps, each a function of a `Context`, wired through the manifest.

A step first brings its upstream steps up to date (each skipped when unchanged), then runs
itself through `manifest.run_step`. Steps read only their upstream's artifacts in the run
directory, never anything downstream.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.data.prepare import Dataset, load_or_prepare
from pipeline.data.recipe import RECIPES_DIR, Recipe, Source, Split, available, load_recipe
from pipeline.errors import PedError
from pipeline.manifest import RunDir, code_hash, run_step, sha256_file, sha256_json
from pipeline.progress import console


@dataclass
class Context:
    dataset: str
    build_dir: Path | None = None
    force: bool = False
    progress: bool = True
    overrides: dict = field(default_factory=dict)  # e.g. {"epochs": 3} for quick runs
    fold: int | None = None  # group splits: hold out another block of groups
    model_key: str | None = None  # text mode's m-model-[key]; kept in the run once given

    @property
    def run(self) -> RunDir:
        """`build/<dataset>/`, or `build/<dataset>-fold<k>/` for another fold."""
        name = self.dataset if self.fold is None else f"{self.dataset}-fold{self.fold}"
        return RunDir.for_dataset(name, self.build_dir)

    def log(self, msg: str) -> None:
        console.print(msg)


def resolve_recipe(ctx: Context) -> Recipe:
    """The dataset's recipe: `datasets/<name>.toml`, else the one a custom import recorded."""
    if (RECIPES_DIR / f"{ctx.dataset}.toml").is_file():
        recipe = load_recipe(ctx.dataset)
    else:
        saved = RunDir.for_dataset(ctx.dataset, ctx.build_dir).path("recipe.json")
        if not saved.is_file():
            raise PedError(
                f"no dataset named '{ctx.dataset}' (no datasets/{ctx.dataset}.toml, no {saved})",
                f"use one of: {', '.join(available())}, or import your own with "
                f"`ped data --from FILE.npz --name {ctx.dataset}`",
            )
        recipe = Recipe.from_dict(json.loads(saved.read_text()), origin=str(saved))
    if ctx.fold is not None:
        if recipe.split.method != "group":
            raise PedError(f"--fold needs a group split; '{recipe.name}' is split "
                           f"{recipe.split.method}", "drop --fold for this dataset")
        recipe = replace(recipe, split=replace(recipe.split, fold=ctx.fold))
    if "epochs" in ctx.overrides:
        recipe = replace(recipe, teacher=replace(recipe.teacher, epochs=ctx.overrides["epochs"]))
    return recipe


def custom_recipe(path: Path, name: str, shape: tuple[int, ...] = ()) -> Recipe:
    """A recipe for a user's .npz/.csv file; its content hash covers the file's bytes."""
    from pipeline.data.custom import read_custom

    raw = read_custom(path, shape)  # validates; raises PedError before anything is written
    ndim = raw.recordings[0].ndim
    kind = {1: "vector", 2: "sequence", 3: "image"}[ndim]
    method = "group" if raw.groups is not None and len(set(raw.groups.tolist())) >= 3 \
        else "stratified"
    return Recipe(
        name=name, kind=kind, description=f"custom data from {path.name}",
        source=Source(loader=path.suffix[1:], path=str(path.resolve()),
                      file_sha256=sha256_file(path), shape=tuple(shape)),
        split=Split(method=method),
    )


def step_data(ctx: Context, recipe: Recipe | None = None) -> Dataset:
    recipe = recipe or resolve_recipe(ctx)
    run = ctx.run
    dataset: Dataset | None = None

    def produce():
        nonlocal dataset
        dataset, cached = load_or_prepare(recipe)
        ctx.log(f"data: {'cache hit' if cached else 'prepared'} for recipe "
                f"{recipe.content_hash[:12]}")
        npz, meta = dataset.save(run.path("data", "dataset"))
        rpath = run.path("recipe.json")
        rpath.write_text(json.dumps(recipe.to_dict(), indent=2))
        return [npz, meta, rpath]

    inputs = {"recipe": recipe.content_hash,
              "code": code_hash("pipeline.data.prepare", "pipeline.data.sources")}
    run_step(run, "data", inputs, produce, ctx.force, ctx.log)
    return dataset or Dataset.load(run.path("data", "dataset"))


def step_teacher(ctx: Context) -> dict:
    recipe = resolve_recipe(ctx)  # an unknown dataset is refused before TensorFlow loads
    from pipeline.teacher import train_teacher

    ds = step_data(ctx, recipe)
    run = ctx.run
    inputs = {
        "data": run.output_hash("data", "data/dataset.npz"),
        "config": sha256_json({"teacher": recipe.teacher, "kind": recipe.kind, "seed": 0}),
        "code": code_hash("pipeline.teacher", "pipeline.models"),
    }
    run_step(run, "teacher",
             inputs,
             lambda: train_teacher(ds, recipe.teacher, run.path("teacher"),
                                   show_progress=ctx.progress),
             ctx.force, ctx.log)
    return json.loads(run.path("teacher", "metrics.json").read_text())


DISTILL_MODULES = ("pipeline.distill.game", "pipeline.distill.objective", "pipeline.distill.pool",
                   "pipeline.distill.cost", "pipeline.distill.findwl", "pipeline.distill.solver",
                   "pipeline.distill.bdistil", "pipeline.distill.baselines",
                   "pipeline.distill.ensemble", "pipeline.distill.run", "pipeline.models")


def step_distill(ctx: Context, cfg=None, baselines: bool = True, engine: str = "auto") -> dict:
    """B-DISTIL students (+ baselines) into `students/`; returns `students/metrics.json`.
    `engine` (pipeline/engine.py) only decides where the trainings run, not what they give.

    A run interrupted between rounds resumes from its accepted stages (same inputs hash);
    --force starts again from round 1."""
    import numpy as np

    from pipeline.distill.bdistil import DistillConfig
    from pipeline.distill.run import distill_run

    cfg = cfg or DistillConfig()
    teacher_metrics = step_teacher(replace(ctx, force=False))  # --force re-runs distill only
    run = ctx.run
    inputs = {
        "teacher_logits": run.output_hash("teacher", "teacher/logits.npz"),
        "data": run.output_hash("data", "data/dataset.npz"),
        "config": sha256_json(cfg.to_dict() | {"baselines": baselines}),
        "code": code_hash(*DISTILL_MODULES),
    }
    out = run.path("students")

    def produce():
        if ctx.force:
            shutil.rmtree(out, ignore_errors=True)
        ds = Dataset.load(run.path("data", "dataset"))
        with np.load(run.path("teacher", "logits.npz")) as z:
            logits = {s: z[s] for s in z.files}
        return distill_run(ds, logits, teacher_metrics, cfg, out, baselines, ctx.log,
                           resume_key=sha256_json(inputs),
                           teacher_model=run.path("teacher", "model.keras"), engine=engine)

    run_step(run, "distill", inputs, produce, ctx.force, ctx.log)
    return json.loads(run.path("students", "metrics.json").read_text())


def model_key(ctx: Context) -> str:
    """The run's model key (`m-model-[key]`, the runner's test entry): `ctx.model_key` (then
    kept in `<run>/model_key.txt` for later steps), else the kept one, else the run's name."""
    from pipeline.mlperf import check_model_key, default_model_key

    kept = ctx.run.path("model_key.txt")
    if ctx.model_key:
        check_model_key(ctx.model_key)
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(ctx.model_key + "\n")
        return ctx.model_key
    if kept.is_file():
        return check_model_key(kept.read_text().strip())
    return default_model_key(ctx.run.root.name)


def step_codegen(ctx: Context, target: str | None = None) -> dict:
    """`tflite/stages.json` + `stage_NN.tflite` -> generated C in `firmware/` (plan returned).

    With `target`, and when `ped profile` measured this run's stages on it
    (`profile/<target>.json`), the stage table carries those measured cycles for admission
    control; otherwise the stage table's (estimated or profiled-model) costs.
    """
    from dataclasses import replace as dc_replace

    from pipeline.codegen import BundleSpec, generate, source_hash

    run = ctx.run
    tdir = run.path("tflite")
    stages_json = tdir / "stages.json"
    if not stages_json.is_file():
        raise PedError(f"no stage table at {stages_json}",
                       f"run `ped quantize --dataset {ctx.dataset}` first")
    measured = run.path("profile", f"{target}.json") if target else None
    key = model_key(ctx)
    inputs = {"stages.json": sha256_file(stages_json), "model_key": key} \
        | {f.name: sha256_file(f) for f in sorted(tdir.glob("stage_*.tflite"))} \
        | {"code": source_hash()} \
        | ({"measured": sha256_file(measured)} if measured and measured.is_file() else {})
    out = run.path("firmware")

    def produce():
        spec = dc_replace(BundleSpec.from_stages_json(tdir), key=key)
        if measured is not None and measured.is_file():
            prof = json.loads(measured.read_text())
            cycles = prof["cycles"]
            if len(cycles) == len(spec.stages) and prof.get("unit"):
                spec = dc_replace(spec, cost_unit=prof["unit"], stages=tuple(
                    dc_replace(st, cost_cycles=int(c))
                    for st, c in zip(spec.stages, cycles, strict=True)))
        for old in [*out.glob("stage_*.c"), *out.glob("ped_model.*"), *out.glob("plan.json")]:
            old.unlink()  # only what codegen writes: a stage count that shrank leaves no stale
        result = generate(spec, out)
        return list(result.files), {"arena_bytes": result.arena_bytes}

    run_step(run, "codegen", inputs, produce, ctx.force, ctx.log)
    return json.loads(run.path("firmware", "plan.json").read_text())


def step_profile(ctx: Context, target: str) -> list[int]:
    """Measure this run's generated stages on an emulated target (`profile/<target>.json`);
    the next codegen for that target puts the measured cycles into the stage table."""
    from pipeline.codegen import source_hash
    from pipeline.profile import profile_run

    run = ctx.run
    step_codegen(ctx)
    out = run.path("profile", f"{target}.json")
    inputs = {"stages.json": sha256_file(run.path("tflite", "stages.json")),
              "model": _tree_hash(run.path("firmware"), pattern="stage_*.c"),
              "target": target, "code": code_hash("pipeline.profile"),
              "kernels": source_hash()}

    def produce():
        from pipeline.boards import load_board

        cycles, layers = profile_run(run.root, target)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"target": target, "unit": load_board(target).cost_unit,
                                   "cycles": cycles, "layer_cycles": layers,
                                   "source": "measured"}, indent=2))
        return [out]

    run_step(run, f"profile-{target}", inputs, produce, ctx.force, ctx.log)
    return json.loads(out.read_text())["cycles"]


def clean(ctx: Context) -> None:
    if ctx.run.root.is_dir():
        shutil.rmtree(ctx.run.root)


def step_quantize(ctx: Context) -> dict:
    """int8 `.tflite` per student + host evaluation (float, LiteRT-REF, TFLM) per stage."""
    from pipeline.quantize import float_outputs, quantize_ensemble, write_stage_table
    from pipeline.quantize.evaluate import evaluate

    run = ctx.run
    upstream = ensure_students(ctx)
    ds = Dataset.load(run.path("data", "dataset"))
    students = run.path("students")

    def produce():
        import keras

        stages = quantize_ensemble(students, ds.x["train"], supported_ops=supported_ops())
        files = write_stage_table(stages, run.path("tflite"), ds.n_classes,
                                  ds.meta["majority_class"], ds.meta["input_shape"])
        ensemble = json.loads((students / "ensemble.json").read_text())
        models = [keras.models.load_model(students / f"{s.name}.keras", compile=False)
                  for s in stages]
        logits = [o[0] for o in float_outputs(models, ensemble, ds.x["test"])]
        result = evaluate(stages, logits, ds.x["test"], ds.y["test"])
        result["per_stage"] = [{"name": s.name, "tflite_bytes": len(s.tflite),
                                "tflm_arena_bytes": s.tflm_arena_bytes, "ops": s.ops}
                               for s in stages]
        p = run.path("tflite", "eval.json")
        p.write_text(json.dumps(result, indent=2))
        return [*files, p], {"students": result["per_stage"]}

    inputs = upstream | {"code": code_hash("pipeline.quantize", "pipeline.quantize.convert",
                                           "pipeline.quantize.evaluate", "pipeline.aggregate")}
    run_step(run, "quantize", inputs, produce, ctx.force, ctx.log)
    return json.loads(run.path("tflite", "eval.json").read_text())


def ensure_students(ctx: Context) -> dict[str, str]:
    """Input hashes of the distilled students (distill runs first when it exists)."""
    run = ctx.run
    ensemble = run.path("students", "ensemble.json")
    if run.step("distill") is None or not ensemble.is_file():
        step_distill(replace(ctx, force=False))  # default configuration
    if not ensemble.is_file():
        raise PedError(f"no students in {run.path('students')}",
                       f"run `ped distill --dataset {ctx.dataset}` first")
    files = sorted(run.path("students").glob("stage_*.keras"))
    return {"ensemble": sha256_file(ensemble)} | {f.name: sha256_file(f) for f in files} | {
        "data": sha256_file(run.path("data", "dataset.npz"))}


def supported_ops() -> frozenset[str] | None:
    """The firmware kernel set (owned by codegen); None until codegen exists."""
    try:
        from pipeline.codegen.ops import SUPPORTED_OPS
    except ImportError:
        return None
    return frozenset(SUPPORTED_OPS)


def _startable() -> tuple[str, ...]:
    from pipeline.firmware_build import TARGETS

    return tuple(n for n, t in TARGETS.items() if t.host or t.qemu_machine or t.emulator)


EMULATED_TARGETS = _startable()  # the harness starts these (board.toml [target] run)


def _tree_hash(*dirs: Path, pattern: str = "*") -> str:
    """sha256 over the files matching `pattern` under the given folders (names and contents)."""
    import hashlib

    h = hashlib.sha256()
    for d in dirs:
        for f in sorted(p for p in d.rglob(pattern) if p.is_file()):
            h.update(str(f.relative_to(d)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def step_build(ctx: Context, target: str) -> dict:
    """Firmware for `target` with this run's generated model, budget-checked; the linked
    image is copied to `bin/<target>/` so every dataset keeps its own."""
    from pipeline.data.recipe import REPO_ROOT
    from pipeline.firmware_build import build, get_target

    run = ctx.run
    step_codegen(ctx, target)
    model = run.path("firmware")
    t = get_target(target)
    out = run.path("bin", target)

    def produce():
        size = build(target, model)
        out.mkdir(parents=True, exist_ok=True)
        image = out / t.elf().name
        shutil.copy2(t.elf(), image)
        for extra in (t.elf().with_suffix(".uf2"), t.elf().with_suffix(".bin")):
            if extra.is_file():  # the Pico's flashable images
                shutil.copy2(extra, out / extra.name)
        info = out / "size.json"
        info.write_text(json.dumps({"flash": size.flash, "ram": size.ram}, indent=2))
        return [image, info], {"flash": size.flash, "ram": size.ram}

    inputs = {"model": _tree_hash(model),
              "firmware": _tree_hash(REPO_ROOT / "firmware" / "src",
                                     REPO_ROOT / "firmware" / "include",
                                     REPO_ROOT / "firmware" / "app",
                                     REPO_ROOT / "firmware" / "kernels",
                                     REPO_ROOT / "boards"),
              "target": target}
    run_step(run, f"build-{target}", inputs, produce, ctx.force, ctx.log)
    return json.loads((out / "size.json").read_text())


def step_hil(ctx: Context, target: str, ports: list[str] | str | None = None, boards: int = 1,
             sweep_samples: int = 200) -> dict:
    """Validate the device(s) against the host over the whole test split, then the deadline
    sweep (a stratified sample of `sweep_samples`) and the battery-drop run. Emulated targets
    are started (and stopped) here, `boards` emulator processes of them (a farm); real boards
    are the `ports` given, one device each."""
    import contextlib

    from pipeline.boards import load_board
    from pipeline.harness import hil, targets
    from pipeline.quantize import bundle_hash, host_expectation, load_stage_table

    ports = [ports] if isinstance(ports, str) else list(ports or [])
    run = ctx.run
    if not ports and target not in EMULATED_TARGETS:
        raise PedError(f"'{target}' is a real board: the harness cannot start it",
                       f"flash it (`ped flash --target {target}`) and pass --port /dev/ttyACM0")
    if boards < 1:
        raise PedError(f"--boards {boards}: a farm needs at least one board", "pass --boards 1..N")
    if ports and boards > 1:
        raise PedError("--boards starts emulated boards; real boards are given with --port",
                       "pass one --port per board, or --boards without --port")
    image = None
    if not ports:
        step_build(ctx, target)
        image = run.path("bin", target, "program" if target == "native" else "firmware.elf")
    out = run.path("hil", target)
    stages, table = load_stage_table(run.path("tflite"))
    ds = Dataset.load(run.path("data", "dataset"))
    expected_hash = bundle_hash(run.path("tflite"))

    def move_aside(why: str) -> None:
        for stale in ("results.jsonl", "sweep.jsonl"):
            if (out / stale).is_file():
                (out / stale).rename(out / (stale + ".stale"))
                ctx.log(f"{why}: old {stale} moved to {stale}.stale")

    def produce():
        out.mkdir(parents=True, exist_ok=True)
        session = {"bundle": expected_hash, "image": sha256_file(image) if image else ports}
        marker = out / "session.json"
        if ctx.force:
            move_aside("--force")
        elif marker.is_file() and json.loads(marker.read_text()) != session:
            move_aside("another bundle or image")
        marker.write_text(json.dumps(session, indent=2))
        xq, expected = host_expectation(stages, ds.x["test"])
        cost_us = stage_cost_us(run, target, table)
        board = load_board(target)
        # what the firmware's admission control believes: the profiled cycles codegen put
        # into its stage table when this target was profiled, else the stage table's
        profiled = run.path("profile", f"{target}.json")
        admitted = (json.loads(profiled.read_text())["cycles"] if profiled.is_file() else
                    [s["cost_cycles"] for s in table["stages"]])
        admitted_us = [c / board.cost_hz * 1e6 for c in admitted]
        cfg = hil.HilConfig(url=ports[0] if ports else "", target=target, out_dir=out,
                            expected_hash=expected_hash, run_dir=str(run.root),
                            sweep_samples=sweep_samples, stage_cost_us=admitted_us,
                            devices=[(p, p) for p in ports] if len(ports) > 1 else [])

        def session_run(fn, *a):
            if ports:
                return fn(cfg, *a, log=ctx.log)
            n = boards if fn is not hil.battery_drop else 1
            # idle QEMU boards sleep rather than race their clocks (a farm on few cores);
            # the battery run keeps the clock the firmware's energy model was measured on
            sleep = fn is not hil.battery_drop
            with contextlib.ExitStack() as stack:
                started = [stack.enter_context(targets.running(target, image, idle_sleep=sleep))
                           for _ in range(n)]
                cfg.url, cfg.power = started[0].url, started[0].power
                cfg.devices = ([(f"{target}#{k}", t.url) for k, t in enumerate(started)]
                               if n > 1 else [])
                return fn(cfg, *a, log=ctx.log)

        summary = session_run(hil.validate, xq, ds.y["test"], expected)
        cost_us = stage_cost_us(run, target, table)  # measured just now by validate
        sweep = session_run(hil.deadline_sweep, xq, ds.y["test"], cost_us, admitted_us)
        files = [out / "summary.json", out / "sweep.json", out / "results.jsonl",
                 out / "sweep.jsonl"]
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
        (out / "sweep.json").write_text(json.dumps(sweep, indent=2))
        if not ports:
            # drain so that the brown-out comes about ten full inferences in
            hz = json.loads((out / "device.json").read_text())["clock_hz"]
            per_inference = max(sum(c or 0 for c in summary["median_cycles"]),
                                sum(cost_us) * hz / 1e6, 1.0)
            drain = min(int(900e9 / (10 * per_inference)), 0xFFFFFFFF)
            battery = session_run(hil.battery_drop, xq, ds.y["test"], drain)
            (out / "battery.json").write_text(json.dumps(battery, indent=2))
            files.append(out / "battery.json")
        return files, {"bit_exact": f"{summary['bit_exact_samples']}/{summary['samples']}",
                       "incomplete": summary["incomplete"]}

    inputs = {"bundle": expected_hash, "data": sha256_file(run.path("data", "dataset.npz")),
              "image": sha256_file(image) if image else f"port:{','.join(ports)}",
              "boards": str(boards), "sweep_samples": str(sweep_samples),
              "code": code_hash("pipeline.harness.hil", "pipeline.harness.link",
                                "pipeline.harness.device", "pipeline.protocol")}
    run_step(run, f"hil-{target}", inputs, produce, ctx.force, ctx.log)
    return json.loads((out / "summary.json").read_text())


def stage_cost_us(run: RunDir, target: str, table: dict) -> list[float]:
    """Per-stage time on the target in µs: measured HIL cycles when there are, else the
    profiled/estimated cost from the stage table."""
    from pipeline.boards import load_board

    board = load_board(target)
    results = run.path("hil", target, "results.jsonl")
    device = run.path("hil", target, "device.json")
    if results.is_file() and device.is_file():
        import numpy as np

        hz = json.loads(device.read_text())["clock_hz"]  # the device's cycle counter rate
        recs = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
        full = [r for r in recs if len(r["stages"]) == len(table["stages"])]
        if full:
            med = [float(np.median([r["stages"][k]["cycles"] for r in full])) / hz * 1e6
                   for k in range(len(table["stages"]))]
            if min(med) > 0:  # a coarse clock (native CPU time) can read 0 for short stages
                return med
    return [max(1.0, s["cost_cycles"] / board.cost_hz * 1e6) for s in table["stages"]]


def step_report(ctx: Context) -> list[Path]:
    from pipeline.report import write_report

    files = write_report(ctx.run.root)
    ctx.log(f"report: {files[0]}")
    return files
