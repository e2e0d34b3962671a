"""HIL on a bad link: samples complete / mismatched / incomplete / duplicated, and the slowdown,
per fault rate, through our fault-injecting relay (pipeline/harness/relay.py).

    .venv/bin/python benchmarks/hil_faults.py [--dataset digits] [--samples N]
        [--targets native qemu-m4] [--rates 0 1e-4 3e-4 1e-3] [--seed 0] [--json]

For each target and rate, a fresh emulated device runs the dataset's firmware (the pipeline up
to codegen is run for the dataset, each step skipped when up to date) and `ped hil`'s
validation streams the first `--samples` test samples (default: the whole split) through the
relay into a scratch directory. At a rate r every byte, in each direction, is flipped with
probability r, dropped with probability r and followed by a junk byte with probability r;
every faulty run (r > 0) also has the harness's connection cut once (after 30% of the clean
run's bytes) and the device reset once (after 60%). `duplicated` counts ids that appear more
than once in results.jsonl; `mismatched` complete samples whose scores differ from the host's;
`incomplete` samples the harness gave up on. The slowdown is wall time against the same
target's clean (r = 0, through the relay) run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.table import Table

from pipeline.boards import load_board
from pipeline.data.prepare import Dataset
from pipeline.harness import hil, targets
from pipeline.harness.relay import FaultRelay
from pipeline.progress import console
from pipeline.quantize import bundle_hash, host_expectation, load_stage_table
from pipeline.quiet import fd_redirected
from pipeline.steps import Context, step_build, step_quantize


@contextlib.contextmanager
def _quiet_stdout(on: bool):
    """Send fd 1 (subprocesses included) to stderr while `on`."""
    if not on:
        yield
        return
    with fd_redirected(1, 2, sys.stdout):
        yield


def one_run(target: str, image: Path, rate: float, seed: int, cfg_base: dict, xq, y, expected,
            clean_bytes: int | None) -> dict:
    faulty = rate > 0 and clean_bytes
    with tempfile.TemporaryDirectory() as tmp, \
            targets.running(target, image, idle_sleep=True) as t, \
            FaultRelay(t.url, rate=rate, seed=seed,
                       cut_after=int(0.3 * clean_bytes) if faulty else None,
                       reset_after=int(0.6 * clean_bytes) if faulty else None) as relay:
        cfg = hil.HilConfig(url=relay.url, out_dir=Path(tmp), target=target, **cfg_base)
        t0 = time.monotonic()
        s = hil.validate(cfg, xq, y, expected, log=lambda _: None)
        seconds = time.monotonic() - t0
        lines = (Path(tmp) / "results.jsonl").read_text().splitlines()
    ids = Counter(json.loads(x)["id"] for x in lines)
    return {"target": target, "rate": rate, "samples": len(y), "complete": s["complete"],
            "bit_exact": s["bit_exact_samples"], "mismatched": s["mismatched"],
            "incomplete": s["incomplete"], "duplicated": sum(c - 1 for c in ids.values()),
            "seconds": seconds, "samples_per_second": len(y) / seconds,
            "faults": relay.counts.faults, "bytes": relay.counts.bytes,
            "cuts": relay.counts.cuts, "resets_injected": relay.counts.resets,
            "resets_seen": s["resets"], "reconnects": s["reconnects"], "retries": s["retries"],
            "naks": s["naks"], "incomplete_replies": s["incomplete_replies"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--samples", type=int, default=None, help="default: the whole test split")
    ap.add_argument("--targets", nargs="+", default=["native", "qemu-m4"])
    ap.add_argument("--rates", nargs="+", type=float, default=[0, 1e-4, 3e-4, 1e-3])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args()
    ctx = Context(dataset=args.dataset, progress=False)
    with _quiet_stdout(args.json):
        step_quantize(ctx)
    run = ctx.run
    stages, table = load_stage_table(run.path("tflite"))
    ds = Dataset.load(run.path("data", "dataset"))
    n = len(ds.y["test"]) if args.samples is None else min(args.samples, len(ds.y["test"]))
    xq, expected = host_expectation(stages, ds.x["test"][:n])
    y = ds.y["test"][:n]
    rows = []
    for target in args.targets:
        with _quiet_stdout(args.json):  # the build's output must not corrupt --json
            step_build(ctx, target)
        image = run.path("bin", target, "program" if target == "native" else "firmware.elf")
        board = load_board(target)
        base = {"expected_hash": bundle_hash(run.path("tflite")), "run_dir": str(run.root),
                "stage_cost_us": [s["cost_cycles"] / board.clock_hz * 1e6
                                  for s in table["stages"]]}
        clean = None
        for rate in sorted(args.rates):
            r = one_run(target, image, rate, args.seed, base, xq, y, expected,
                        clean["bytes"] if clean else None)
            if rate == 0:
                clean = r
            r["slowdown"] = r["seconds"] / clean["seconds"] if clean else None
            rows.append(r)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    t = Table(title=f"HIL through the fault relay, {args.dataset}: {n} samples, "
                    f"{len(stages)} stages; per-byte rate of each of flip/drop/junk, plus one "
                    "cut and one device reset when the rate > 0")
    for col in ("target", "rate", "complete", "mismatched", "incomplete", "duplicated",
                "faults", "resets seen", "reconnects", "samples/s", "slowdown"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(r["target"], f"{r['rate']:g}", f"{r['complete']}/{r['samples']}",
                  str(r["mismatched"]), str(r["incomplete"]), str(r["duplicated"]),
                  str(r["faults"]), str(r["resets_seen"]), str(r["reconnects"]),
                  f"{r['samples_per_second']:.1f}",
                  f"{r['slowdown']:.2f}x" if r["slowdown"] else "-")
    console.print(t)


if __name__ == "__main__":
    main()
