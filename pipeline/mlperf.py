"""The MLPerf Tiny / EEMBC benchmark runner's side of ped: model keys and `ped export mlperf`.

The firmware's text mode (firmware/src/eembc.c, docs/protocol.md) answers `profile%` with
`m-model-[<key>]`; the runner (mlcommons/tiny, benchmark/runner) picks the test entry named
<key> from its tests yaml and reads the test files from `<dataset_path>/<key>/`, listed in
`y_labels.csv` as `file,n_classes,true_class` rows with no header. Each file is the raw model
input (int8 bytes), which the runner sends with `db load N%` and `db <hex>%` chunks.

`export_mlperf` writes that layout for a run's test split, plus one-entry tests yamls for our
key (accuracy: every file, `infer 1 0`; performance: 5 files, `infer N W`) and the host's
answer: TFLM's final-stage accumulator through the device's probability arithmetic
(pipeline/probability.py), so the runner's Top-1 can be compared with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.data.recipe import REPO_ROOT
from pipeline.errors import PedError
from pipeline.probability import header_define

KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TRUTH_FILE = "y_labels.csv"
PERF_WINDOWS = 5            # the runner's performance mode wants exactly 5 loops ...
# ... each window's `infer N` above 10 s on the DUT clock ("Runtime requirements have been
# met", the MLPerf Tiny rule) and each reply line within 30 s: aim at the middle
PERF_WINDOW_SECONDS = 13.0
PERF_WARMUPS = 10
MAX_RUNS = header_define(REPO_ROOT / "firmware" / "include" / "ped" / "eembc.h",
                         "PED_EEMBC_MAX_RUNS")  # bound on N and W of `infer N W`
DEVICES_FILE = "devices_ped.yaml"
# The runner finds its DUT by USB ids; 1209:0001 is pid.codes' test id, which
# scripts/mlperf_runner.py gives a pty. For a real board put its own ids here.
DEVICES_YAML = """\
# the DUT, connected directly (accuracy and performance modes); for a real board replace the
# usb ids with its own (python -m serial.tools.list_ports -v shows them)
- name: ped
  type: dut
  baud: 115200
  usb:
    0x1209: 0x0001
"""


def default_model_key(run_name: str) -> str:
    """A run's model key: its name with every other character turned into '_' (digits ->
    digits, watch-fold1 -> watch_fold1); a leading digit gets an 'm_' prefix."""
    key = re.sub(r"[^A-Za-z0-9_]", "_", run_name) or "ped"
    return key if KEY_PATTERN.fullmatch(key) else "m_" + key


def check_model_key(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key):
        raise PedError(f"model key {key!r} is not a plain identifier (the runner selects its "
                       "test entry by it)",
                       "use letters, digits and underscores, starting with a letter, e.g. "
                       "--model-key digits01")
    return key


@dataclass(frozen=True)
class Export:
    out: Path
    key: str
    files: int
    n_classes: int
    host_top1: float          # % of files whose printed probabilities' argmax is the label
    host_tflm_top1: float     # % by the final accumulator's argmax (ped quantize's TFLM)
    iterations: int           # N of the performance entry's `infer N W`


def measure_inference_seconds(url: str, data: bytes, n: int = 2000,
                              timeout: float = 30.0) -> float:
    """Seconds per inference of the firmware at `url` (a started emulated target), by its own
    text mode: `db load`, `db <hex>` chunks, `infer n 0`, then (T1 - T0) / n from the laps."""
    import time

    import serial

    port = None
    end = time.monotonic() + 10
    while port is None:  # QEMU opens its socket a moment after it starts
        try:
            port = serial.serial_for_url(url, baudrate=115200, timeout=0.05)
        except serial.SerialException:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)

    def ask(cmd: str) -> list[str]:
        port.write(f"{cmd}%".encode())
        got, stop = b"", time.monotonic() + timeout
        while b"m-ready" not in got:
            if time.monotonic() > stop:
                raise PedError(f"the device did not answer {cmd!r} within {timeout} s",
                               "check that the image is ped firmware for this target")
            got += port.read(256)
        return got.decode(errors="replace").replace("\r", "").split("\n")

    with port:
        ask(f"db load {len(data)}")
        for i in range(0, len(data), 31):
            ask("db " + data[i:i + 31].hex())
        laps = [int(v.removeprefix("m-lap-us-")) for v in ask(f"infer {n} 0")
                if re.fullmatch(r"m-lap-us-\d+", v)]
    if len(laps) < 2 or laps[-1] <= laps[0]:
        raise PedError(f"infer {n} 0 gave no usable laps: {laps}", "rebuild the firmware")
    return (laps[-1] - laps[0]) / 1e6 / n


def perf_iterations(seconds_per_inference: float) -> int:
    """N so that one performance window takes about PERF_WINDOW_SECONDS on the device."""
    if seconds_per_inference <= 0:
        return 1000
    return int(min(MAX_RUNS, max(1, round(PERF_WINDOW_SECONDS / seconds_per_inference))))


def _yaml_entry(key: str, name: str, loop: str, infer: str) -> str:
    return (f"{key}:\n  name: {name}\n  model: {key}\n  truth_file: {TRUTH_FILE}\n"
            f"  script:\n    - {loop}:\n      - download\n      - {infer}\n")


def write_export(out: Path, key: str, xq: np.ndarray, labels: np.ndarray, n_classes: int,
                 iterations: int, name: str) -> None:
    """The runner's dataset layout under `out`: `<key>/<key>_NNNNN.bin` (raw int8 input),
    `<key>/y_labels.csv`, `tests_accuracy.yaml` / `tests_performance.yaml`, and a devices
    yaml naming the DUT (`devices_ped.yaml`)."""
    folder = out / key
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (x, y) in enumerate(zip(xq, labels, strict=True)):
        fname = f"{key}_{i:05d}.bin"
        (folder / fname).write_bytes(np.ascontiguousarray(x, dtype=np.int8).tobytes())
        rows.append(f"{fname},{n_classes},{int(y)}\n")
    (folder / TRUTH_FILE).write_text("".join(rows))
    (out / DEVICES_FILE).write_text(DEVICES_YAML)
    (out / "tests_accuracy.yaml").write_text(_yaml_entry(key, name, "loop", "infer 1 0"))
    (out / "tests_performance.yaml").write_text(
        _yaml_entry(key, name, f"loop {PERF_WINDOWS}", f"infer {iterations} {PERF_WARMUPS}"))


def host_top1(final_acc: np.ndarray, labels: np.ndarray, prob_scale: tuple[int, int]) -> float:
    """Top-1 % as the runner computes it from the device's printed probabilities (argmax,
    lowest index on ties), predicted on the host with the device's arithmetic."""
    from pipeline.probability import probabilities_milli

    p = probabilities_milli(final_acc, *prob_scale)
    return 100.0 * float(np.mean(np.argmax(p, axis=-1) == labels))


def export_mlperf(run_root: Path, out: Path, key: str, iterations: int | None = None,
                  max_files: int | None = None,
                  seconds_per_inference: float = 0.0) -> Export:
    """Export a run's test split for the runner (see the module docstring). Without
    `iterations`, N of the performance entry comes from `seconds_per_inference` (the full
    ensemble on the target; 0 = unknown)."""
    from pipeline.data.prepare import Dataset
    from pipeline.quantize import aggregation_plan, host_expectation, load_stage_table

    check_model_key(key)
    stages, _ = load_stage_table(run_root / "tflite")
    ds = Dataset.load(run_root / "data" / "dataset")
    x, y = ds.x["test"], np.asarray(ds.y["test"])
    if max_files is not None:
        if max_files < 1:
            raise PedError(f"--files {max_files} exports nothing", "give --files 1 or more")
        x, y = x[:max_files], y[:max_files]
    xq, accs = host_expectation(stages, x)
    final = np.asarray(accs[-1])
    if iterations is None:
        iterations = perf_iterations(seconds_per_inference)
    if not 1 <= iterations <= MAX_RUNS:
        raise PedError(f"--iterations {iterations} is outside 1..{MAX_RUNS}",
                       "pick N so that `infer N` takes a few seconds on the board")
    write_export(out, key, xq.reshape(len(xq), -1), y, ds.n_classes, iterations,
                 f"ped_{ds.meta['name']}")
    prob_scale = aggregation_plan(stages).probability_scale()
    result = Export(out, key, len(y), ds.n_classes, host_top1(final, y, prob_scale),
                    100.0 * float(np.mean(np.argmax(final, axis=-1) == y)), iterations)
    (out / "host.json").write_text(json.dumps(
        {"key": key, "files": result.files, "host_top1": result.host_top1,
         "host_tflm_top1": result.host_tflm_top1, "iterations": iterations,
         "source": "TFLM final-stage accumulator through the device's probability arithmetic"},
        indent=2) + "\n")
    return result
