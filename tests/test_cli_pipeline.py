"""`ped` as a user calls it, on a tiny digits run (3 teacher epochs, 2 students of 2 epochs):
`ped run` on qemu-m4, then `ped quantize` (up to date), `ped hil` on qemu-m3 (a target the run
did not use: build, bit-exactness over the whole test split, deadline sweep, battery drop),
`ped report`, and `ped --verbose build`. Checked: each step's line and result, no TensorFlow or
PlatformIO noise unless --verbose, accuracies with n and 95% intervals, every HIL sample within
the float ensemble's error bound, and stage 0 answering the class prior of the training split.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from aggregation_check import check_device_against_float_ensemble

ROOT = Path(__file__).resolve().parents[1]
# the sign test off (--min-z 0): two 2-epoch students are kept whatever val says, since these
# tests are of the commands and the device chain, not of which stages B-DISTIL keeps
QUICK = ["--epochs", "3", "--stages", "2", "--student-epochs", "2", "--no-baselines",
         "--min-z", "0"]
# what a quiet command must not print (each seen in `ped run` output before it was quiet)
NOISE = ("E0000", "I0000", "W0000", "oneDNN", "cpu_feature_guard", "absl::InitializeLog",
         "retracing", "is deprecated", "Processing qemu", "Building in release mode",
         "Linking .pio", "Checking size", "=====")
INTERVAL = re.compile(r"\d+\.\d \[\d+\.\d, \d+\.\d\]")


def ped(build: Path | None, *args: str) -> str:
    """`python -m pipeline.cli ARGS` from the repository root, as a user runs `ped`."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL",
                                                             "PED_VERBOSE")}
    tail = ["--build-dir", str(build), "--no-progress"] if build else []
    res = subprocess.run([sys.executable, "-m", "pipeline.cli", *args, *tail], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=1500)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    return out


def _quiet(out: str) -> None:
    noisy = [ln for ln in out.splitlines() if any(n in ln for n in NOISE)]
    assert noisy == [], noisy[:5]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    build = tmp_path_factory.mktemp("cli")
    out = ped(build, "run", "--dataset", "digits", "--target", "qemu-m4", *QUICK)
    return build, build / "digits", out


@pytest.mark.slow
def test_ped_run_prints_one_line_per_step_and_no_noise(run):
    _, rd, out = run
    _quiet(out)
    for step in ("data", "teacher", "distill", "quantize", "codegen", "profile-qemu-m4",
                 "build-qemu-m4", "hil-qemu-m4"):
        assert re.search(rf"^{step}: done in [\d.]+ s", out, re.M), step
    n = sum(json.loads((rd / "data" / "dataset.json").read_text())["counts"]["test"])
    assert f"n = {n}" in out and INTERVAL.search(out)
    assert "[lo, hi] is the 95% Wilson interval" in out  # the caption, not eaten as markup
    assert f"bit-exact: {n}/{n} samples, all stages" in out
    assert (rd / "report" / "report.md").is_file()


@pytest.mark.slow
def test_ped_quantize_is_up_to_date_and_shows_intervals(run):
    build, _, _ = run
    out = ped(build, "quantize", "--dataset", "digits")
    assert "quantize: up to date, skipped" in out
    assert len(INTERVAL.findall(out)) >= 2 * 3  # float, LiteRT-REF, TFLM per stage
    _quiet(out)


@pytest.mark.slow
def test_ped_hil_on_qemu_m3_sweeps_drops_the_battery_and_answers_the_prior(run):
    build, rd, _ = run
    out = ped(build, "hil", "--dataset", "digits", "--target", "qemu-m3")
    hil = rd / "hil" / "qemu-m3"
    summary = json.loads((hil / "summary.json").read_text())
    with np.load(rd / "data" / "dataset.npz") as z:
        x_test, y_train = z["x_test"], z["y_train"]
    assert summary["samples"] == summary["bit_exact_samples"] == len(x_test)
    # every stage of every sample within the float ensemble's bound (not the plan's own model)
    check = check_device_against_float_ensemble(rd / "tflite", hil / "results.jsonl", x_test)
    assert check["checked"] == 2 * len(x_test) and check["clear_margin"] > len(x_test)
    # the sweep starts below stage 1: those answers are stage 0, the training split's prior
    sweep = json.loads((hil / "sweep.json").read_text())
    assert sweep[0]["mean_stage"] == 0 and sweep[-1]["mean_stage"] == 2
    prior = int(np.bincount(y_train).argmax())
    zero = [json.loads(ln)["done"] for ln in (hil / "sweep.jsonl").read_text().splitlines()]
    zero = [d for d in zero if d["stages"] == 0]
    assert zero and {d["class"] for d in zero} == {prior}
    assert f".default_class = {prior}u" in (rd / "firmware" / "ped_model.c").read_text()
    battery = json.loads((hil / "battery.json").read_text())
    assert battery["reasons"][0] == "all" and battery["reasons"][-1] == "battery"
    assert battery["stages"][-1] == 0  # browned out: no stage runs, the prior answers
    _quiet(out)


@pytest.mark.slow
def test_ped_report_has_both_devices_intervals_and_stage_zero(run):
    build, rd, _ = run
    ped(build, "hil", "--dataset", "digits", "--target", "qemu-m3")  # up to date: skipped
    out = ped(build, "report", "--dataset", "digits")
    md = (rd / "report" / "report.md").read_text()
    with np.load(rd / "data" / "dataset.npz") as z:
        y_train, n = z["y_train"], len(z["y_test"])
    prior = int(np.bincount(y_train).argmax())
    assert "## Device: qemu-m4" in md and "## Device: qemu-m3" in md
    assert f"n = {n:,} samples" in md and len(INTERVAL.findall(md)) >= 10
    assert f"the class prior: class {prior} " in md and "NOT" not in md
    assert re.search(r"sweep answers came at stage 0 .*: all class \d+ \('[^']*'\), the prior", md)
    metrics = json.loads((rd / "report" / "metrics.json").read_text())
    assert metrics["stage0"]["class"] == prior and metrics["test_samples"] == n
    _quiet(out)


@pytest.mark.slow
def test_verbose_shows_platformio(run):
    _, rd, _ = run
    out = ped(None, "--verbose", "build", "--target", "qemu-m3", "--model", str(rd / "firmware"))
    assert "Processing qemu-m3" in out and "within budget" in out
