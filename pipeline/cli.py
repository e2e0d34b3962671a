"""`ped`: the command line. Each subcommand is one pipeline step (plus `run`, all of them).

Errors print as one line with the fix and exit 2; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.table import Table

from pipeline.errors import PedError
from pipeline.progress import console
from pipeline.steps import Context, custom_recipe, step_codegen, step_data, step_teacher


def _shape(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 100,6") from None


def _common(p: argparse.ArgumentParser, dataset_required: bool = True) -> None:
    p.add_argument("--dataset", "-d", required=dataset_required, default=None,
                   help="recipe name in datasets/ (watch, fsdd, mnist5k, digits) or an imported one")
    p.add_argument("--build-dir", type=Path, default=None,
                   help="where run directories live (default: build/)")
    p.add_argument("--force", action="store_true", help="re-run the step even if up to date")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ped",
        description="Progressive ensemble distillation for microcontrollers: "
                    "recipe -> teacher -> int8 students -> C -> firmware -> HIL.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
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

    p = sub.add_parser("codegen", help="generate C for the int8 students (kernels + arena plan)")
    _common(p)
    p.set_defaults(func=cmd_codegen)

    p = sub.add_parser("run", help="the whole pipeline, each step skipped when up to date")
    _common(p, dataset_required=False)
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    p.set_defaults(func=cmd_run, dataset="watch")
    return parser


def _context(args: argparse.Namespace) -> Context:
    overrides = {}
    if getattr(args, "epochs", None):
        overrides["epochs"] = args.epochs
    return Context(dataset=args.dataset, build_dir=args.build_dir, force=args.force,
                   progress=not args.no_progress, overrides=overrides)


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


def _print_teacher(metrics: dict, dataset: str) -> None:
    console.print(f"teacher {dataset}: test accuracy {100 * metrics['test_accuracy']:.1f}%, "
                  f"{metrics['params']:,} params, {metrics['macs']:,} MACs, "
                  f"{metrics['epochs_run']} epochs in {metrics['train_seconds']:.0f} s")


def cmd_teacher(args: argparse.Namespace) -> None:
    ctx = _context(args)
    _print_teacher(step_teacher(ctx), ctx.dataset)


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


def cmd_run(args: argparse.Namespace) -> None:
    ctx = _context(args)
    _print_teacher(step_teacher(ctx), ctx.dataset)
    console.print(f"run directory: {ctx.run.root}")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ banner quiet
    parser = build_parser()
    args = parser.parse_args(argv)
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
