"""HIL throughput: samples per second and bytes per sample on `native` and `qemu-m4`.

    .venv/bin/python benchmarks/hil.py [--dataset digits] [--samples 200]

Runs the pipeline up to codegen for the dataset (each step skipped when up to date), builds
the firmware for each target and streams `--samples` test samples through the harness into a
scratch directory (the run's own hil/ results are untouched). Prints one table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.table import Table

from pipeline.data.prepare import Dataset
from pipeline.harness import hil, targets
from pipeline.progress import console
from pipeline.quantize import bundle_hash, host_expectation, load_stage_table
from pipeline.steps import Context, step_build, step_quantize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--targets", nargs="+", default=["native", "qemu-m4"])
    args = ap.parse_args()
    ctx = Context(dataset=args.dataset)
    step_quantize(ctx)
    run = ctx.run
    stages, _ = load_stage_table(run.path("tflite"))
    ds = Dataset.load(run.path("data", "dataset"))
    n = min(args.samples, len(ds.y["test"]))
    xq, expected = host_expectation(stages, ds.x["test"][:n])
    table = Table(title=f"HIL throughput, {args.dataset}: {n} samples, {len(stages)} stages, "
                        f"input {xq[0].size} B")
    for col in ("target", "samples/s", "bytes/sample", "bit-exact", "retries", "bad frames"):
        table.add_column(col, justify="right")
    for target in args.targets:
        step_build(ctx, target)
        image = run.path("bin", target, "program" if target == "native" else "firmware.elf")
        with tempfile.TemporaryDirectory() as tmp, targets.running(target, image) as t:
            cfg = hil.HilConfig(url=t.url, target=target, out_dir=Path(tmp),
                                expected_hash=bundle_hash(run.path("tflite")),
                                run_dir=str(run.root))
            s = hil.validate(cfg, xq, ds.y["test"][:n], expected, log=lambda _: None)
        table.add_row(target, f"{s['samples_per_second']:.1f}", f"{s['bytes_per_sample']:.0f}",
                      f"{s['bit_exact_samples']}/{s['samples']}", str(s["retries"]),
                      str(s["bad_frames"]))
    console.print(table)


if __name__ == "__main__":
    main()
