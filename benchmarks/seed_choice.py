"""Does val pick the better of two seeds? Stage 1 of `small_seeds = 2` jobs, post hoc.

One command, after `benchmarks/distill_quality.py` has run the same seeds under both configs:

    python benchmarks/seed_choice.py --datasets watch --seeds 10 --folds 3 \\
        --config default+seeds2 --base default --json build/seed_choice_watch.json

It trains nothing. With `small_seeds = 2`, round 1 trains every band candidate under
`small_macs` twice (seed repetitions 0 and 1, `bdistil.candidate_seed`) and keeps the trial
with the best val KD gain; the base config trains repetition 0 alone. For every job whose
stage 1 is the same architecture under both configs, the two jobs hold the test accuracy
(TFLM int8) of both repetitions: repetition 0's is the base job's stage 1, and when the
`--config` job kept repetition 1, that job's stage 1 is repetition 1's. Each job's log gives
both repetitions' val KD gain and val accuracy (`bdistil._describe`). Per dataset it prints,
in test points against repetition 0 (mean ± s.e. over the jobs, unchanged jobs count as 0):

- **by KD gain**: the repetition the config kept (the larger val KD gain);
- **by val accuracy**: the repetition with the higher val accuracy (ties: repetition 0);

and, over the jobs whose two repetitions differ on test, how often each rule picked the
better one. A job that kept repetition 0 while val accuracy prefers repetition 1 holds no
test score of repetition 1: it is left out of both means and counted (`unknown`). A job
whose kept repetition is 0 must score the base job's stage 1 exactly; the table counts
those that do not (`mismatch`, expected 0: the jobs are deterministic).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from distill_quality import job_dir, mean_se, run_names, signed  # noqa: E402

# an accepted round-1 trial in a job's log (bdistil._describe)
ROUND1 = re.compile(r"round 1: (\S+) .*val gain ([+-]?[\d.]+)%\s+val acc ([\d.]+)%.*accepted")


def round1_trials(log: list[str], arch: str) -> list[tuple[float, float]]:
    """(val KD gain %, val accuracy %) of `arch`'s accepted round-1 trials, in the order
    trained (seed repetition 0 first: `findwl.find_wl_band` logs a candidate's repetitions
    in order)."""
    return [(float(m.group(2)), float(m.group(3))) for line in log
            if (m := ROUND1.search(line)) and m.group(1) == arch]


def job_choice(config_job: dict, base_job: dict) -> dict | None:
    """One job's stage-1 choice: the test points of each rule minus repetition 0's, or None
    when the two configs kept different architectures (or the log lacks both trials)."""
    arch = config_job["bdistil"]["candidates"][0]
    if base_job["bdistil"]["candidates"][0] != arch:
        return None
    trials = round1_trials(config_job["log"], arch)
    if len(trials) != 2:
        return None
    test0 = 100 * base_job["bdistil"]["int8"][0]
    kept_test = 100 * config_job["bdistil"]["int8"][0]
    kept = 1 if trials[1][0] > trials[0][0] else 0  # find_wl_band: ties keep the earlier
    by_acc = 1 if trials[1][1] > trials[0][1] else 0
    diff = kept_test - test0  # repetition 1 minus repetition 0 when it kept repetition 1
    if kept == 0:
        mismatch = abs(diff) > 1e-9  # repetition 0 is the base job's very student
        if by_acc == 1:  # val accuracy prefers repetition 1, whose test score no job holds
            return {"unknown": True, "mismatch": mismatch}
        return {"kd_gain": 0.0, "val_acc": 0.0, "differ": False, "mismatch": mismatch}
    return {"kd_gain": diff, "val_acc": diff if by_acc == 1 else 0.0, "differ": diff != 0,
            "kd_gain_right": diff > 0, "val_acc_right": (diff > 0) == (by_acc == 1),
            "mismatch": False}


def summarise(choices: list[dict]) -> dict:
    """Mean ± s.e. of each rule's gain over repetition 0 (points), and how often it picked
    the better test repetition among the jobs where the two differ."""
    known = [c for c in choices if not c.get("unknown")]
    out: dict = {"jobs": len(known), "unknown": len(choices) - len(known),
                 "changed": sum(c["differ"] for c in known),
                 "mismatch": sum(c["mismatch"] for c in choices)}
    for rule in ("kd_gain", "val_acc"):
        m, se, _ = mean_se([c[rule] for c in known])
        out[rule] = {"mean": m, "se": se,
                     "right": sum(c.get(f"{rule}_right", False) for c in known if c["differ"])}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="fsdd,watch")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--folds", type=int, default=3, help="watch's folds")
    ap.add_argument("--config", default="default+seeds2", help="the small_seeds = 2 jobs")
    ap.add_argument("--base", default="default", help="the same seeds, one seed repetition")
    ap.add_argument("--stages", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    report: dict = {}
    print("dataset | jobs (same stage-1 arch) | unknown | changed | by KD gain − rep 0 | "
          "by val acc − rep 0 | picked the better test rep (KD gain / val acc) | mismatch")
    print("--- | --- | --- | --- | --- | --- | --- | ---")
    for ds in args.datasets.split(","):
        choices, missing = [], 0
        for run in run_names(ds, args.folds):
            for seed in range(args.seeds):
                paths = [job_dir(run, seed, c, args.stages) / "result.json"
                         for c in (args.config, args.base)]
                if not all(p.is_file() for p in paths):
                    missing += 1
                    continue
                c = job_choice(*(json.loads(p.read_text()) for p in paths))
                if c is not None:
                    choices.append(c)
        if missing:
            print(f"note: {ds}: {missing} jobs not run under both configs are left out "
                  f"(run benchmarks/distill_quality.py with --config {args.config} and "
                  f"--config {args.base} first)", file=sys.stderr)
        s = report[ds] = summarise(choices)
        kd, acc = s["kd_gain"], s["val_acc"]
        print(f"{ds} | {s['jobs']} | {s['unknown']} | {s['changed']} | "
              f"{signed(kd['mean'], kd['se'])} | {signed(acc['mean'], acc['se'])} | "
              f"{kd['right']} / {acc['right']} of {s['changed']} | "
              f"{s['mismatch']}")
    if args.json:
        args.json.write_text(json.dumps({"command": sys.argv, "datasets": report}, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
