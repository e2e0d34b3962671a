"""Field-trial robustness and rate, on emulated boards with the demo model (firmware/fake).

    PYTHONPATH=. python benchmarks/trial.py [--targets native qemu-m4] [--faults 20]

1. A long trial with `--faults` injected faults (alternating port disconnects and device
   resets, every `--every` windows): windows and sequence numbers lost or duplicated in
   SQLite (target: 0 and 0).
2. Sustained rate on qemu-m4 at the watch recipe's window rate (hop 50 / 50 Hz = one window
   a second) for `--rate-windows` windows, and the most windows a second it can take.
Prints a table; the device is built with `pio run -e <target>` first.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.firmware_build import PIO_BUILD_DIR  # noqa: E402
from pipeline.harness import targets  # noqa: E402
from pipeline.harness.trial import TrialConfig, TrialRunner, check_accounting  # noqa: E402

PROGRAM = {"native": "program", "qemu-m4": "firmware.elf"}
ONE_STAGE_DEADLINE_US = {"native": 60_000, "qemu-m4": 12_000}
WATCH_PERIOD_S = 50 / 50.0  # watch.toml: hop 50 samples at 50 Hz


def _trial(target: str, n: int, period: float, faults: dict[int, str],
           deadline_us: int) -> tuple[dict, dict]:
    x = (np.arange(n) % 7).astype(np.int8).reshape(n, 1)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "trial.sqlite"
        with targets.running(target, PIO_BUILD_DIR / target / PROGRAM[target]) as t:
            cfg = TrialConfig(url=t.url, target=target, db_path=db, period_s=period, batch=4,
                              timeout=1.0, deadline_us=deadline_us)
            stats = TrialRunner(cfg, x, x[:, 0] % 7, log=lambda _: None, faults=faults).run()
        acct = check_accounting(db)
        import sqlite3

        con = sqlite3.connect(db)
        windows = [w for (w,) in con.execute("SELECT window FROM records WHERE kind='window'")]
        con.close()
    acct["windows_lost"] = n - len(set(windows)) - acct["overflow_dropped"]
    acct["windows_duplicated"] = len(windows) - len(set(windows))
    return stats.__dict__, acct


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", nargs="+", default=["native", "qemu-m4"])
    ap.add_argument("--faults", type=int, default=20)
    ap.add_argument("--every", type=int, default=5, help="windows between faults")
    ap.add_argument("--rate-windows", type=int, default=20)
    args = ap.parse_args()
    for target in args.targets:
        subprocess.run([sys.executable, "-m", "platformio", "run", "-e", target], cwd=ROOT,
                       check=True, capture_output=True)
    rows = []
    for target in args.targets:
        faults = {args.every * (i + 1): ("disconnect" if i % 2 == 0 else "reset")
                  for i in range(args.faults)}
        n = args.every * (args.faults + 1)
        stats, acct = _trial(target, n, 0.02, faults, ONE_STAGE_DEADLINE_US[target])
        rows.append((f"{target}: {args.faults} faults over {n} windows",
                     f"windows lost {acct['windows_lost']}, duplicated "
                     f"{acct['windows_duplicated']}; seq missing {len(acct['missing'])}, "
                     f"duplicated {len(acct['duplicated'])}; resets {stats['resets']}, "
                     f"disconnects {stats['disconnects']}; {stats['seconds']:.1f} s"))
    if "qemu-m4" in args.targets:
        n = args.rate_windows
        stats, acct = _trial("qemu-m4", n, WATCH_PERIOD_S, {}, 0)
        rows.append((f"qemu-m4 at the watch rate ({1 / WATCH_PERIOD_S:.1f} windows/s), {n} "
                     "windows, all stages",
                     f"{stats['windows_sent'] / stats['seconds']:.2f} windows/s sustained "
                     f"({stats['seconds']:.1f} s for {n * WATCH_PERIOD_S:.0f} s of windows); "
                     f"lost {acct['windows_lost']}"))
        stats, acct = _trial("qemu-m4", n, 0.0, {}, 0)
        rows.append((f"qemu-m4 as fast as possible, {n} windows, all stages",
                     f"{stats['windows_sent'] / stats['seconds']:.2f} windows/s; "
                     f"lost {acct['windows_lost']}"))
    width = max(len(r[0]) for r in rows)
    print(f"| {'run'.ljust(width)} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for a, b in rows:
        print(f"| {a.ljust(width)} | {b} |")


if __name__ == "__main__":
    main()
