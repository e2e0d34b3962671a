"""`ped hil`: stream the test split to a board and prove it computes what the host computes.

For every test sample: upload the int8 input, run all stages with no deadline, and compare
each completed stage's int32 scores with the host's (TFLM interpreter + fixed-point
aggregation). Results go to `hil/<target>/results.jsonl` as they arrive (resumable). Then a
deadline sweep (stage reached and accuracy vs deadline) on a subset, and a battery-drop run.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline import protocol as P
from pipeline.harness.device import Device
from pipeline.harness.errors import DeviceReset, DeviceTimeout, HarnessError
from pipeline.harness.link import Link
from pipeline.harness.results import ResultsLog

MAX_RESET_RETRIES = 5


@dataclass
class HilConfig:
    url: str
    target: str
    out_dir: Path
    expected_hash: str
    run_dir: str
    timeout: float = 5.0
    connect_timeout: float = 10.0
    sweep_samples: int = 64
    n_deadlines: int = 10
    power: Callable[[int, int], None] | None = None  # host-driven battery (rp2040js), if any


def _record(sample_id: str, label: int, inf, expected: np.ndarray | None) -> dict:
    stages = [{"stage": s.stage, "class": s.cls, "margin": s.margin, "cycles": s.cycles,
               "scores": list(s.scores)} for s in inf.stages]
    rec = {"id": sample_id, "label": int(label), "stages": stages,
           "done": {"stages": inf.done.stages, "reason": inf.done.reason.name.lower(),
                    "class": inf.done.cls, "margin": inf.done.margin,
                    "cycles": inf.done.cycles}}
    if expected is not None:
        mism = [s["stage"] for s in stages
                if list(expected[s["stage"] - 1]) != s["scores"]]
        rec["bit_exact"] = not mism
        rec["mismatched_stages"] = mism
    return rec


def with_resets(dev: Device, op: Callable[[], object], log: Callable[[str], None]):
    """Run op; when the device resets mid-exchange, re-handshake and run it again."""
    for _ in range(MAX_RESET_RETRIES):
        try:
            return op()
        except DeviceReset:
            log("device reset detected (a reply of another session); handshaking again and "
                "retrying")
            dev.info = None
            dev.hello()
    raise HarnessError(f"the device reset {MAX_RESET_RETRIES} times in a row",
                       "check its power supply and watchdog")


@contextlib.contextmanager
def connected(cfg: HilConfig, log: Callable[[str], None]) -> Iterator[tuple[Link, Device]]:
    """An open link to a device that answered HELLO and runs this run's model bundle."""
    with Link(cfg.url, timeout=cfg.timeout, connect_timeout=cfg.connect_timeout) as link:
        dev = Device(link)
        with_resets(dev, dev.hello, log)
        dev.check_bundle(cfg.expected_hash, cfg.run_dir, cfg.target)
        yield link, dev


def validate(cfg: HilConfig, x_int8: np.ndarray, y: np.ndarray, expected: list[np.ndarray],
             log: Callable[[str], None] = print, progress=None) -> dict:
    """Bit-exactness over the whole split; returns a summary and appends results."""
    results = ResultsLog(cfg.out_dir / "results.jsonl")
    with connected(cfg, log) as (link, dev):
        (cfg.out_dir / "device.json").write_text(json.dumps(dev.info.__dict__, indent=2))
        todo = [i for i in range(len(y)) if not results.has(f"test-{i}")]
        if len(todo) < len(y):
            log(f"resuming: {len(y) - len(todo)} samples already recorded, {len(todo)} to go")
        t0 = time.monotonic()
        for i in todo:
            exp = np.stack([e[i] for e in expected])

            def one(i=i):
                dev.upload(x_int8[i])
                return dev.infer(timeout=cfg.timeout)

            inf = with_resets(dev, one, log)
            results.append(_record(f"test-{i}", y[i], inf, exp))
            if progress:
                progress()
        seconds = time.monotonic() - t0
        stats = link.stats
    return summarize(results, len(expected), len(todo), seconds, stats)


def summarize(results: ResultsLog, n_stages: int, n_new: int, seconds: float, stats) -> dict:
    recs = [r for r in results.records.values() if r["id"].startswith("test-")]
    exact = sum(bool(r.get("bit_exact")) and len(r["stages"]) == n_stages for r in recs)
    first_bad = [r["id"] for r in recs if not r.get("bit_exact")][:10]
    acc, cycles = [], []
    for k in range(n_stages):
        done = [r for r in recs if len(r["stages"]) > k]
        acc.append(float(np.mean([r["stages"][k]["class"] == r["label"] for r in done]))
                   if done else None)
        cycles.append(float(np.median([r["stages"][k]["cycles"] for r in done]))
                      if done else None)
    return {"samples": len(recs), "bit_exact_samples": exact, "first_mismatches": first_bad,
            "device_accuracy": acc, "median_cycles": cycles,
            "samples_per_second": n_new / seconds if seconds > 0 and n_new else None,
            "bytes_per_sample": ((stats.bytes_sent + stats.bytes_received) / n_new
                                 if n_new else None),
            "retries": stats.retries, "bad_frames": stats.bad_frames, "resets": stats.resets}


def deadline_sweep(cfg: HilConfig, x_int8: np.ndarray, y: np.ndarray, stage_cost_us: list[float],
                   admitted_us: list[float] | None = None,
                   log: Callable[[str], None] = print) -> list[dict]:
    """Accuracy and stage reached vs deadline, from below stage 1 to above all stages.

    `stage_cost_us` is what the stages take (measured); `admitted_us` what admission control
    believes they take (the stage table's cost): the sweep reaches above both totals.
    """
    total = max(sum(stage_cost_us), sum(admitted_us or [0.0]))
    lo = max(1.0, 0.3 * stage_cost_us[0])
    hi = max(1.5 * total, 20 * lo)  # a coarse clock (native CPU time) can read 0 per stage
    deadlines = np.unique(np.geomspace(lo, hi, cfg.n_deadlines).astype(int))
    n = min(cfg.sweep_samples, len(y))
    rows = []
    log_path = cfg.out_dir / "sweep.jsonl"
    sweep = ResultsLog(log_path)
    with connected(cfg, log) as (_, dev):
        for d in deadlines:
            for i in range(n):
                key = f"d{int(d)}-{i}"
                if sweep.has(key):
                    continue

                def one(i=i, d=d):
                    dev.upload(x_int8[i])
                    return dev.infer(deadline_us=int(d), timeout=cfg.timeout)

                inf = with_resets(dev, one, log)
                sweep.append(_record(key, y[i], inf, None) | {"deadline_us": int(d)})
    for d in deadlines:
        recs = [r for r in sweep.records.values() if r.get("deadline_us") == int(d)]
        overrun = [r["done"]["cycles"] for r in recs]
        rows.append({"deadline_us": int(d), "n": len(recs),
                     "accuracy": float(np.mean([r["done"]["class"] == r["label"] for r in recs])),
                     "mean_stage": float(np.mean([r["done"]["stages"] for r in recs])),
                     "reasons": {k: sum(r["done"]["reason"] == k for r in recs)
                                 for k in ("all", "deadline", "admission", "battery")},
                     "max_cycles": int(max(overrun)) if overrun else 0})
    return rows


def battery_drop(cfg: HilConfig, x_int8: np.ndarray, y: np.ndarray, drain: int,
                 n: int = 32, log: Callable[[str], None] = print) -> dict:
    """Run inferences while the emulated battery drains; the run must stop cleanly."""
    with connected(cfg, log) as (_, dev):
        battery = cfg.power or dev.battery  # the emulator's ADC input, or the device's model
        battery(1000, drain)
        reasons, stages = [], []
        for i in range(min(n, len(y))):
            dev.upload(x_int8[i])
            try:
                inf = dev.infer(timeout=cfg.timeout)
            except DeviceTimeout:
                break
            reasons.append(inf.done.reason.name.lower())
            stages.append(inf.done.stages)
            if inf.done.reason == P.StopReason.BATTERY and inf.done.stages == 0:
                break
        battery(1000, 0)
    return {"drain_permille_per_gcycle": drain, "inferences": len(reasons),
            "reasons": reasons, "stages": stages}
