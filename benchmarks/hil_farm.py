"""HIL farm speed-up: the test split through 1 emulated board, then through a farm of N, with
identical results.

    .venv/bin/python benchmarks/hil_farm.py [--dataset digits] [--target qemu-m4]
        [--boards 1 4] [--samples N] [--json]

For each farm size a fresh set of emulator processes (one per board) runs the dataset's
firmware (the pipeline up to codegen is run for the dataset, each step skipped when up to
date) and `ped hil`'s validation shards the first `--samples` test samples (default: the whole
split) over them into a scratch directory. Prints wall time, samples per second, the speed-up
against the first size, the per-device sample counts, and whether every sample's scores
(every stage) are the same as the first size's. Cycles are not compared: on `native` they are
CPU time. The machine's core count is printed with the table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.table import Table

from pipeline.boards import load_board
from pipeline.data.prepare import Dataset
from pipeline.harness import hil, targets
from pipeline.progress import console
from pipeline.quantize import bundle_hash, host_expectation, load_stage_table
from pipeline.steps import Context, step_build, step_quantize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--target", default="qemu-m4")
    ap.add_argument("--boards", nargs="+", type=int, default=[1, 4])
    ap.add_argument("--samples", type=int, default=None, help="default: the whole test split")
    ap.add_argument("--idle-sleep", action=argparse.BooleanOptionalAction, default=True,
                    help="QEMU -icount sleep=on: an idle board sleeps instead of burning a "
                         "core (default on, as `ped hil --boards N` runs them)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ctx = Context(dataset=args.dataset, progress=False)
    step_quantize(ctx)
    step_build(ctx, args.target)
    run = ctx.run
    stages, table = load_stage_table(run.path("tflite"))
    ds = Dataset.load(run.path("data", "dataset"))
    n = len(ds.y["test"]) if args.samples is None else min(args.samples, len(ds.y["test"]))
    xq, expected = host_expectation(stages, ds.x["test"][:n])
    y = ds.y["test"][:n]
    image = run.path("bin", args.target, "program" if args.target == "native" else "firmware.elf")
    board = load_board(args.target)
    rows, reference = [], None
    for k in args.boards:
        with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
            started = [stack.enter_context(targets.running(args.target, image,
                                                           idle_sleep=args.idle_sleep))
                       for _ in range(k)]
            cfg = hil.HilConfig(url=started[0].url, target=args.target, out_dir=Path(tmp),
                                expected_hash=bundle_hash(run.path("tflite")),
                                run_dir=str(run.root),
                                stage_cost_us=[s["cost_cycles"] / board.clock_hz * 1e6
                                               for s in table["stages"]],
                                devices=[(f"{args.target}#{i}", t.url)
                                         for i, t in enumerate(started)] if k > 1 else [])
            t0 = time.monotonic()
            s = hil.validate(cfg, xq, y, expected, log=lambda _: None)
            seconds = time.monotonic() - t0
            recs = [json.loads(x) for x in (Path(tmp) / "results.jsonl").read_text().splitlines()]
        scores = {r["id"]: [st["scores"] for st in r["stages"]] for r in recs}
        if reference is None:
            reference = scores
        rows.append({"boards": k, "samples": len(recs), "seconds": seconds,
                     "samples_per_second": len(recs) / seconds,
                     "speedup": rows[0]["seconds"] / seconds if rows else 1.0,
                     "bit_exact": s["bit_exact_samples"],
                     "identical_to_first": scores == reference,
                     "per_device": [d["samples"] for d in s["devices"]]})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    t = Table(title=f"HIL farm on {args.target}, {args.dataset}: {n} samples, "
                    f"{os.cpu_count()} CPU cores")
    for col in ("boards", "seconds", "samples/s", "speed-up", "bit-exact", "identical",
                "per device"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(str(r["boards"]), f"{r['seconds']:.2f}", f"{r['samples_per_second']:.1f}",
                  f"{r['speedup']:.2f}x", f"{r['bit_exact']}/{r['samples']}",
                  "yes" if r["identical_to_first"] else "NO",
                  " ".join(map(str, r["per_device"])))
    console.print(t)


if __name__ == "__main__":
    main()
