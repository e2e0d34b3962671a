"""`ped hil`: stream the test split to one board or a farm and prove it computes what the host
computes.

For every test sample: upload the int8 input, run all stages with no deadline, and compare
each completed stage's int32 scores with the host's (TFLM interpreter + fixed-point
aggregation). A sample is recorded only when complete (every stage DONE reports has its
STAGE frame): a lost frame re-runs the inference (the input stays on the device), bounded;
a sample that cannot be completed is reported as incomplete, never as a mismatch. Results
go to `hil/<target>/results.jsonl` as they arrive (resumable, one log for the whole farm).
Then a deadline sweep (stage reached and accuracy vs deadline) on a stratified sample, and a
battery-drop run.

A farm is several devices (`HilConfig.devices`): one worker thread per device pulls samples
from one queue; every connection says HELLO and checks the bundle; a device that dies
(its port vanishes, or it stops answering through every reconnect) hands its sample back
to the queue for the others.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline import protocol as P
from pipeline.harness.device import Device, Inference
from pipeline.harness.errors import (
    BundleMismatch,
    DeviceRejected,
    DeviceReset,
    DeviceTimeout,
    HarnessError,
    PortError,
)
from pipeline.harness.link import Link, LinkStats
from pipeline.harness.results import ResultsLog

MAX_RESET_RETRIES = 5


@dataclass
class HilConfig:
    url: str
    target: str
    out_dir: Path
    expected_hash: str
    run_dir: str
    timeout: float = 5.0            # the longest any one reply is waited for (s)
    connect_timeout: float = 10.0
    reconnect_timeout: float = 3.0  # how long a vanished port may take to come back (s)
    sweep_samples: int = 200        # stratified sample of the test split for the sweep
    n_deadlines: int = 10
    seed: int = 0                   # of the stratified sample
    attempts: int = 16              # INFER tries to complete one sample
    max_failures: int = 6           # resets/reconnects in a row before a device is given up
    stage_cost_us: list[float] | None = None  # the stage table's cost: sizes the timeouts
    devices: list[tuple[str, str]] = field(default_factory=list)  # (name, url); [] = url

    def device_list(self) -> list[tuple[str, str]]:
        return self.devices or [(self.target, self.url)]
    power: Callable[[int, int], None] | None = None  # host-driven battery (rp2040js), if any


def stratified_indices(y: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """A seeded sample of `n` indices of `y` (all of them when n >= len(y)) in which every
    class appears, in proportion to its share (largest remainders), at least once."""
    y = np.asarray(y)
    if n >= len(y):
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    if n < len(classes):
        raise ValueError(f"a stratified sample of {n} cannot hold all {len(classes)} classes")
    # classes too small for one sample in proportion get one; the rest share what is left
    # in proportion (largest remainders)
    take = np.zeros(len(classes), int)
    forced = np.zeros(len(classes), bool)
    while True:
        free = ~forced
        share = counts * free / counts[free].sum() * (n - forced.sum())
        small = free & (share < 1)
        if not small.any():
            break
        forced |= small
    take[forced] = 1
    take[~forced] = np.floor(share[~forced]).astype(int)
    for c in np.argsort(-(share - np.floor(share)) * ~forced, kind="stable"):
        if take.sum() >= n:
            break
        take[c] += 1
    picked = [rng.permutation(np.flatnonzero(y == c))[:k]
              for c, k in zip(classes, take, strict=True)]
    return np.sort(np.concatenate(picked))


def _record(sample_id: str, label: int, inf: Inference, expected: np.ndarray | None) -> dict:
    stages = [{"stage": s.stage, "class": s.cls, "margin": s.margin, "cycles": s.cycles,
               "scores": list(s.scores)} for s in inf.stages]
    rec = {"id": sample_id, "label": int(label), "stages": stages,
           "done": {"stages": inf.done.stages, "reason": inf.done.reason.name.lower(),
                    "class": inf.done.cls, "margin": inf.done.margin,
                    "cycles": inf.done.cycles}}
    if expected is not None:
        mism = sorted({s["stage"] for s in stages
                       if list(expected[s["stage"] - 1]) != s["scores"]} | set(inf.conflicts))
        rec["bit_exact"] = not mism and len(stages) == len(expected)
        rec["mismatched_stages"] = mism
    if inf.conflicts:
        rec["conflicting_stages"] = list(inf.conflicts)
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


class DeviceSession:
    """One device of a run: its connection, handshake and bundle check (on every connection
    and after every reset), and complete inferences despite lost frames, resets and cuts."""

    def __init__(self, cfg: HilConfig, name: str, url: str, log: Callable[[str], None]) -> None:
        self.cfg, self.name, self.url, self.log = cfg, name, url, log
        self.link: Link | None = None
        self.dev: Device | None = None
        self.stats = LinkStats()  # summed over every connection
        self.reconnects = 0
        self.samples = 0
        self.seconds = 0.0
        self.status = "ok"

    def open(self, wait: float | None = None) -> P.Info:
        cfg = self.cfg
        self.link = Link(self.url, timeout=cfg.timeout,
                         connect_timeout=cfg.connect_timeout if wait is None else wait)
        costs = [c * 1e-6 for c in cfg.stage_cost_us] if cfg.stage_cost_us else None
        self.dev = Device(self.link, costs)
        return self.handshake()

    def handshake(self) -> P.Info:
        assert self.dev is not None
        self.dev.info = None
        with_resets(self.dev, self.dev.hello, self.log)
        return self.dev.check_bundle(self.cfg.expected_hash, self.cfg.run_dir, self.cfg.target)

    def close(self) -> None:
        if self.link is not None:
            for k, v in vars(self.link.stats).items():
                if isinstance(v, int):
                    setattr(self.stats, k, getattr(self.stats, k) + v)
            self.link.close()
        self.link = self.dev = None

    def __enter__(self) -> DeviceSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def infer(self, x: np.ndarray, deadline_us: int = 0, max_stages: int = 0,
              threshold: int = -1) -> Inference | None:
        """A complete inference of x (every stage DONE reports has its STAGE frame), or
        None when `cfg.attempts` tries could not complete it. Raises HarnessError when the
        device is gone (`cfg.max_failures` resets or reconnects in a row)."""
        failures, uploaded, open_failures = 0, False, 0
        while True:
            try:
                if self.dev is None:
                    self.reconnects += 1
                    self.open(self.cfg.reconnect_timeout)
                    open_failures = 0
                assert self.dev is not None
                preload = None
                if not uploaded and failures == 0:
                    preload = self.dev.input_frames(x)  # first try: no wait for the ACKs
                elif not uploaded:
                    self.dev.upload(x)  # after a failure: chunk by chunk, each acknowledged
                uploaded = True
                return self.dev.infer_complete(deadline_us, max_stages, threshold,
                                               self.cfg.attempts, merge=deadline_us == 0,
                                               preload=preload)
            except DeviceRejected as exc:
                if "INPUT_INCOMPLETE" not in exc.problem or failures >= self.cfg.max_failures:
                    raise
                uploaded = False  # e.g. a repeated first chunk restarted the input
            except DeviceReset:
                self.log(f"{self.name}: device reset detected (a reply of another session); "
                         "handshaking again and re-sending the sample")
                uploaded = False  # (the link counted the reset)
                self._failed(failures)
                self.handshake()
            except (PortError, DeviceTimeout) as exc:
                self.log(f"{self.name}: link lost ({exc.problem}); reconnecting")
                uploaded = False
                opening = self.dev is None
                self.close()
                open_failures += opening
                # a port that cannot even be opened twice running is gone (board unplugged,
                # emulator dead): no point in waiting through every retry
                self._failed(self.cfg.max_failures if open_failures >= 2 else failures, exc)
            failures += 1

    def _failed(self, failures: int, exc: HarnessError | None = None) -> None:
        if failures >= self.cfg.max_failures:
            self.status = "died"
            raise HarnessError(
                f"{self.name} ({self.url}) failed {failures + 1} times in a row"
                + (f": {exc.problem}" if exc else ""),
                "check the board (power, cable) or the emulator; `ped hil` resumes")


@dataclass
class Task:
    key: str                      # results-log id
    index: int                    # into x / y
    deadline_us: int = 0
    expected: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def run_farm(cfg: HilConfig, tasks: list[Task], x_int8: np.ndarray, y: np.ndarray,
             results: ResultsLog, log: Callable[[str], None] = print,
             progress: Callable[[], None] | None = None,
             on_connect: Callable[[DeviceSession, P.Info], None] | None = None) -> dict:
    """Run `tasks` (those not yet in `results`) over every device of the farm; returns
    {"incomplete": [keys], "devices": [rows], "seconds": s, "new": n, "stats": LinkStats}.
    Raises HarnessError when every device died with tasks left (what was done is kept)."""
    queue = deque(t for t in tasks if not results.has(t.key))
    lock = threading.Condition()
    inflight = [0]
    incomplete: list[str] = []
    sessions = [DeviceSession(cfg, name, url, log) for name, url in cfg.device_list()]
    errors: list[HarnessError] = []

    def worker(sess: DeviceSession) -> None:
        try:
            info = sess.open()
            if on_connect:
                on_connect(sess, info)
        except HarnessError as exc:
            sess.status = "wrong bundle" if isinstance(exc, BundleMismatch) else "died"
            errors.append(exc)
            log(f"{sess.name}: {exc.problem}")
            sess.close()
            return
        t0 = time.monotonic()
        try:
            while True:
                with lock:
                    while not queue and inflight[0]:
                        lock.wait(0.1)  # a dying device may hand its task back
                    if not queue:
                        return
                    task = queue.popleft()
                    inflight[0] += 1
                try:
                    inf = sess.infer(x_int8[task.index], task.deadline_us)
                except HarnessError as exc:
                    with lock:
                        queue.appendleft(task)  # for another device
                        inflight[0] -= 1
                        lock.notify_all()
                    sess.status = "died"
                    errors.append(exc)
                    log(f"{sess.name} gave up ({exc.problem}); its sample goes to the others")
                    return
                with lock:
                    inflight[0] -= 1
                    if inf is None:
                        incomplete.append(task.key)
                    else:
                        results.append(_record(task.key, y[task.index], inf, task.expected)
                                       | task.extra | {"device": sess.name})
                        sess.samples += 1
                    lock.notify_all()
                if progress and inf is not None:
                    progress()
        finally:
            sess.seconds = time.monotonic() - t0
            sess.close()

    t0 = time.monotonic()
    try:
        if len(sessions) == 1:
            worker(sessions[0])
        else:
            threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in sessions]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        if results.path.is_file():
            results.sync()
    seconds = time.monotonic() - t0
    total = LinkStats()
    for s in sessions:
        for k, v in vars(s.stats).items():
            if isinstance(v, int):
                setattr(total, k, getattr(total, k) + v)
    rows = [{"device": s.name, "url": s.url, "samples": s.samples, "seconds": s.seconds,
             "samples_per_second": s.samples / s.seconds if s.seconds > 0 else None,
             "retries": s.stats.retries, "bad_frames": s.stats.bad_frames,
             "resets": s.stats.resets, "reconnects": s.reconnects, "status": s.status}
            for s in sessions]
    if queue:
        wrong = [e for e in errors if isinstance(e, BundleMismatch)]
        if wrong:
            raise wrong[0]
        first = errors[0] if errors else HarnessError("no device could run", "check the ports")
        raise HarnessError(f"every device failed with {len(queue)} samples left "
                           f"(first: {first.problem})", first.fix)
    new = sum(s.samples for s in sessions)
    return {"incomplete": incomplete, "devices": rows, "seconds": seconds, "new": new,
            "stats": total}


@contextlib.contextmanager
def connected(cfg: HilConfig, log: Callable[[str], None]) -> Iterator[DeviceSession]:
    """A session with the farm's first device: HELLO answered, this run's bundle on it."""
    name, url = cfg.device_list()[0]
    with DeviceSession(cfg, name, url, log) as sess:
        sess.open()
        yield sess


def validate(cfg: HilConfig, x_int8: np.ndarray, y: np.ndarray, expected: list[np.ndarray],
             log: Callable[[str], None] = print, progress=None) -> dict:
    """Bit-exactness over the whole split; returns a summary and appends results."""
    results = ResultsLog(cfg.out_dir / "results.jsonl")
    tasks = [Task(f"test-{i}", i, 0, np.stack([e[i] for e in expected])) for i in range(len(y))]
    done = sum(results.has(t.key) for t in tasks)
    if done:
        log(f"resuming: {done} samples already recorded, {len(tasks) - done} to go")

    def on_connect(sess: DeviceSession, info: P.Info) -> None:
        (cfg.out_dir / "device.json").write_text(json.dumps(info.__dict__, indent=2))

    run = run_farm(cfg, tasks, x_int8, y, results, log, progress, on_connect)
    return summarize(results, len(expected), len(y), run)


def summarize(results: ResultsLog, n_stages: int, n_samples: int, run: dict) -> dict:
    """Complete / mismatched / incomplete over the split, accuracy and cycles per stage, and
    one row per device."""
    recs = [r for r in results.records.values() if r["id"].startswith("test-")]
    exact = sum(bool(r.get("bit_exact")) for r in recs)
    bad = [r["id"] for r in recs if not r.get("bit_exact")]
    incomplete = [k for k in run["incomplete"] if not results.has(k)]
    acc, cycles = [], []
    for k in range(n_stages):
        done = [r for r in recs if len(r["stages"]) > k]
        acc.append(float(np.mean([r["stages"][k]["class"] == r["label"] for r in done]))
                   if done else None)
        cycles.append(float(np.median([r["stages"][k]["cycles"] for r in done]))
                      if done else None)
    stats, new, seconds = run["stats"], run["new"], run["seconds"]
    return {"samples": n_samples, "complete": len(recs), "bit_exact_samples": exact,
            "mismatched": len(bad), "incomplete": len(incomplete),
            "not_run": n_samples - len(recs) - len(incomplete),
            "first_mismatches": bad[:10], "first_incomplete": incomplete[:10],
            "device_accuracy": acc, "median_cycles": cycles,
            "samples_per_second": new / seconds if seconds > 0 and new else None,
            "bytes_per_sample": ((stats.bytes_sent + stats.bytes_received) / new
                                 if new else None),
            "retries": stats.retries, "bad_frames": stats.bad_frames, "resets": stats.resets,
            "naks": stats.naks, "incomplete_replies": stats.incomplete,
            "reconnects": sum(d["reconnects"] for d in run["devices"]),
            "devices": run["devices"]}


def deadline_sweep(cfg: HilConfig, x_int8: np.ndarray, y: np.ndarray, stage_cost_us: list[float],
                   admitted_us: list[float] | None = None,
                   log: Callable[[str], None] = print) -> list[dict]:
    """Accuracy and stage reached vs deadline, from below stage 1 to above all stages, on a
    stratified sample of `cfg.sweep_samples` (seeded; every class) of the split.

    `stage_cost_us` is what the stages take (measured); `admitted_us` what admission control
    believes they take (the stage table's cost): the sweep reaches above both totals.
    """
    total = max(sum(stage_cost_us), sum(admitted_us or [0.0]))
    lo = max(1.0, 0.3 * stage_cost_us[0])
    hi = max(1.5 * total, 20 * lo)  # a coarse clock (native CPU time) can read 0 per stage
    deadlines = np.unique(np.geomspace(lo, hi, cfg.n_deadlines).astype(int))
    picked = stratified_indices(y, cfg.sweep_samples, cfg.seed)
    sweep = ResultsLog(cfg.out_dir / "sweep.jsonl")
    tasks = [Task(f"d{int(d)}-{i}", int(i), int(d), None, {"deadline_us": int(d)})
             for d in deadlines for i in picked]
    run = run_farm(cfg, tasks, x_int8, y, sweep, log)
    keys = {t.key for t in tasks}
    rows = []
    for d in deadlines:
        recs = [r for k, r in sweep.records.items() if k in keys and r.get("deadline_us") == int(d)]
        overrun = [r["done"]["cycles"] for r in recs]
        rows.append({"deadline_us": int(d), "n": len(recs),
                     "incomplete": sum(k.startswith(f"d{int(d)}-") for k in run["incomplete"]),
                     "classes": len({r["label"] for r in recs}),
                     "accuracy": float(np.mean([r["done"]["class"] == r["label"] for r in recs]))
                     if recs else None,
                     "mean_stage": float(np.mean([r["done"]["stages"] for r in recs]))
                     if recs else None,
                     "reasons": {k: sum(r["done"]["reason"] == k for r in recs)
                                 for k in ("all", "deadline", "admission", "battery")},
                     "max_cycles": int(max(overrun)) if overrun else 0})
    return rows


def battery_drop(cfg: HilConfig, x_int8: np.ndarray, y: np.ndarray, drain: int,
                 n: int = 32, log: Callable[[str], None] = print) -> dict:
    """Run inferences while the emulated battery drains; the run must stop cleanly. The
    samples are a stratified (seeded) pick of the split."""
    picked = stratified_indices(y, min(n, len(y)), cfg.seed) if len(y) else []
    with connected(cfg, log) as sess:
        assert sess.dev is not None
        def battery(level: int, drain: int) -> None:
            """The emulator's ADC input (cfg.power), or the device's own battery model."""
            if cfg.power is not None:
                cfg.power(level, drain)
            elif sess.dev is not None:  # (None when the device died in the loop)
                sess.dev.battery(level, drain)

        battery(1000, drain)
        reasons, stages = [], []
        for i in picked:
            try:
                inf = sess.infer(x_int8[i])
            except HarnessError:
                break
            if inf is None:
                continue
            reasons.append(inf.done.reason.name.lower())
            stages.append(inf.done.stages)
            if inf.done.reason == P.StopReason.BATTERY and inf.done.stages == 0:
                break
        battery(1000, 0)
    return {"drain_permille_per_gcycle": drain, "inferences": len(reasons),
            "samples": len(picked), "reasons": reasons, "stages": stages}
