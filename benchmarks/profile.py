"""Cost-model benchmark: measured cycles vs the fitted model vs the old estimate, per candidate.

    python benchmarks/profile.py [--target qemu-m4] [--measure [--pool P]] [--run DIR ...]

Reads boards/<board>/profile.json (`--measure` first re-profiles: `ped profile`). Prints, per
pool, every candidate's measured cycles, the cost model's prediction (in-sample and
leave-one-out relative error) and the pre-profile estimate (6 cycles/MAC + 4/element + 2000/
layer), then the summary against the target: median |model error| <= 10% of measured cycles.
`--run build/<ds>` (after `ped profile --dataset <ds>`, which measured that run's stages):
`cost()` of each of the run's students (connected ones are not in the pool: "model") against
the measured stage cycles, i.e. the model on architectures it was not fitted on.
Cycles are target CPU cycles; on QEMU -icount they are instruction time, not real cycles.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import json  # noqa: E402

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pipeline.distill.cost import DEFAULT_COEFFS, cost  # noqa: E402
from pipeline.errors import PedError  # noqa: E402
from pipeline.profile import (  # noqa: E402
    load_profile,
    profile_path,
    profile_pools,
    run_candidates,
)

console = Console(width=140)
TARGET_MEDIAN_ERROR = 0.10


def estimate(a: dict) -> float:
    f = a["features"]
    elems = sum(v for k, v in f.items() if k.startswith("elems_"))
    return (DEFAULT_COEFFS["cycles_per_mac"] * a["macs"]
            + DEFAULT_COEFFS["cycles_per_element"] * elems
            + DEFAULT_COEFFS["cycles_per_layer"] * f["layers"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="qemu-m4")
    ap.add_argument("--measure", action="store_true", help="re-profile before reporting")
    ap.add_argument("--pool", default=None, help="with --measure: one pool (default all)")
    ap.add_argument("--run", type=Path, action="append", default=[],
                    help="a run directory whose stages `ped profile --dataset` measured")
    args = ap.parse_args()
    if args.measure:
        profile_pools(args.target, args.pool, log=console.print)
    prof = load_profile(args.target)
    if not prof.get("architectures"):
        raise PedError(f"no profile at {profile_path(args.target)}",
                       f"run `ped profile --target {args.target}` or pass --measure")
    archs = prof["architectures"]
    err, loo, est = [], [], []
    for pool in sorted({a["pool"] for a in archs.values()}):
        t = Table(title=f"{args.target} pool {pool}: cycles per inference (target CPU cycles)")
        for col in ("candidate", "MACs", "measured", "model", "err %", "LOO err %",
                    "estimate", "est err %", "flash B", "arena B"):
            t.add_column(col, justify="left" if col == "candidate" else "right")
        for a in sorted((a for a in archs.values() if a["pool"] == pool),
                        key=lambda a: a["cycles"]):
            e = estimate(a) / a["cycles"] - 1.0
            err.append(abs(a["model_error"]))
            loo.append(abs(a["model_loo_error"]))
            est.append(abs(e))
            t.add_row(a["name"], f"{a['macs']:,}", f"{a['cycles']:,}", f"{a['model_cycles']:,}",
                      f"{100 * a['model_error']:+.2f}", f"{100 * a['model_loo_error']:+.2f}",
                      f"{estimate(a):,.0f}", f"{100 * e:+.0f}", f"{a['flash_bytes']:,}",
                      f"{a['arena_bytes']:,}")
        console.print(t)
    s = Table(title=f"Cost model on {len(err)} profiled architectures ({prof['compiler']}; "
                    f"{' '.join(prof['flags'])})")
    for col in ("predictor", "median |err| %", "p90 |err| %", "max |err| %"):
        s.add_column(col, justify="left" if col == "predictor" else "right")
    for name, xs in (("model, in-sample", err), ("model, leave-one-out", loo),
                     ("pre-profile estimate", est)):
        s.add_row(name, f"{100 * np.median(xs):.2f}", f"{100 * np.percentile(xs, 90):.2f}",
                  f"{100 * max(xs):.2f}")
    console.print(s)
    console.print("coefficients: " + ", ".join(
        f"{k}={v:.3g}" for k, v in prof["model"]["coefficients"].items()))
    for run in args.run:
        ens = json.loads((run / "students" / "ensemble.json").read_text())
        t = Table(title=f"{run}: cost() of the run's students vs their measured stage cycles")
        for col in ("stage", "candidate", "measured", "cost()", "source", "err %"):
            t.add_column(col, justify="left" if col in ("candidate", "source") else "right")
        for st, c in zip(ens["stages"], run_candidates(ens), strict=True):
            if st["cost"].get("cycles_source") != "measured":
                raise PedError(f"{run}: stage {st['stage']} cycles are not measured",
                               f"run `ped profile --dataset {run.name} --target {args.target}`")
            m, r = st["cost"]["cycles"], cost(c, load_profile(args.target)["board"])
            t.add_row(str(st["stage"]), c.name, f"{m:,}", f"{r.cycles:,}", r.cycles_source,
                      f"{100 * (r.cycles / m - 1):+.2f}")
        console.print(t)
    ok = np.median(loo) <= TARGET_MEDIAN_ERROR
    console.print(f"target: median |error| <= {100 * TARGET_MEDIAN_ERROR:.0f}% of measured "
                  f"cycles: {'MET' if ok else 'MISSED'} (leave-one-out "
                  f"{100 * np.median(loo):.2f}%, in-sample {100 * np.median(err):.2f}%)")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except PedError as exc:
        console.print(f"[bold red]error:[/] {exc.problem}\n  [bold]fix:[/] {exc.fix}")
        sys.exit(2)
