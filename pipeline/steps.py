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
    from pipeline.teacher import train_teacher

    recipe = resolve_recipe(ctx)
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


def step_distill(ctx: Context, cfg=None, baselines: bool = True) -> dict:
    """B-DISTIL students (+ baselines) into `students/`; returns `students/metrics.json`.

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
                           resume_key=sha256_json(inputs))

    run_step(run, "distill", inputs, produce, ctx.force, ctx.log)
    return json.loads(run.path("students", "metrics.json").read_text())


def step_codegen(ctx: Context) -> dict:
    """`tflite/stages.json` + `stage_NN.tflite` -> generated C in `firmware/` (plan returned)."""
    from pipeline.codegen import BundleSpec, generate, source_hash

    run = ctx.run
    tdir = run.path("tflite")
    stages_json = tdir / "stages.json"
    if not stages_json.is_file():
        raise PedError(f"no stage table at {stages_json}",
                       f"run `ped quantize --dataset {ctx.dataset}` first")
    inputs = {"stages.json": sha256_file(stages_json)} \
        | {f.name: sha256_file(f) for f in sorted(tdir.glob("stage_*.tflite"))} \
        | {"code": source_hash()}
    out = run.path("firmware")

    def produce():
        spec = BundleSpec.from_stages_json(tdir)
        for old in [*out.glob("stage_*.c"), *out.glob("ped_model.*"), *out.glob("plan.json")]:
            old.unlink()  # only what codegen writes: a stage count that shrank leaves no stale
        result = generate(spec, out)
        return list(result.files), {"arena_bytes": result.arena_bytes}

    run_step(run, "codegen", inputs, produce, ctx.force, ctx.log)
    return json.loads(run.path("firmware", "plan.json").read_text())


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
