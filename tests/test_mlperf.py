"""MLPerf Tiny / EEMBC conformance: the runner's side of the DUT protocol (written from its
grammar in tests/mlperf_runner_side.py) drives real generated firmware on native (pty),
qemu-m4 (UART on a TCP socket, -icount) and pico (rp2040js, UART0 on a socket) over files
`ped export mlperf` wrote, and every printed probability must equal TFLM's final-stage
accumulator through the device's probability arithmetic (pipeline/probability.py); the fast
tests check that arithmetic against a float softmax and the export layout against the
runner's reader."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from ensemble_fixture import build_tiny_ensemble
from mlperf_runner_side import LAP_RE, MAX_CHUNK, RunnerSide

from pipeline.codegen import BundleSpec, generate
from pipeline.firmware_build import build, get_target
from pipeline.harness import targets
from pipeline.mlperf import (
    check_model_key,
    default_model_key,
    export_mlperf,
    host_top1,
    measure_inference_seconds,
    perf_iterations,
    write_export,
)
from pipeline.probability import format_milli, probabilities_milli, probability_scale
from pipeline.quantize import (
    aggregation_plan,
    host_expectation,
    quantize_ensemble,
    write_stage_table,
)

N_FILES = 10
KEY = "digits"


# ---- fast: the arithmetic and the export ---------------------------------------------------

def test_probabilities_are_the_softmax_of_the_accumulator_to_a_thousandth():
    rng = np.random.default_rng(3)
    for scale in (3e-6, 4e-5, 1e-3, 0.02):
        mult, shift = probability_scale(scale)
        assert 2**14 <= mult < 2**15 and shift >= 16
        assert abs(mult * 2.0**-shift / (scale * np.log2(np.e)) - 1) < 2**-14
        acc = rng.integers(-(2**24), 2**24, size=(200, 10)) // rng.integers(1, 4000, (200, 1))
        acc[0] = 7  # every class equal
        p = probabilities_milli(acc, mult, shift)
        z = acc * scale
        soft = np.exp(z - z.max(axis=1, keepdims=True))
        soft = 1000 * soft / soft.sum(axis=1, keepdims=True)
        assert np.all(p >= 0) and np.all(p <= 1000)
        assert np.max(np.abs(p - soft)) <= 1.0
        assert np.all(p.max(axis=1) > 0)
        assert p[0].tolist() == [100] * 10
        assert np.array_equal(np.argmax(p, axis=1)[p.max(axis=1) > 500],
                              np.argmax(acc, axis=1)[p.max(axis=1) > 500])


def test_probabilities_at_the_int32_extremes():
    mult, shift = probability_scale(1e-5)
    acc = np.array([[2**31 - 1, -(2**31), 0]])
    assert probabilities_milli(acc, mult, shift).tolist() == [[1000, 0, 0]]
    assert [format_milli(v) for v in (0, 7, 999, 1000)] == ["0.000", "0.007", "0.999", "1.000"]


def test_model_keys_are_plain_identifiers():
    assert default_model_key("digits") == "digits"
    assert default_model_key("watch-fold1") == "watch_fold1"
    assert default_model_key("5k") == "m_5k"
    assert check_model_key("ic01") == "ic01"
    with pytest.raises(Exception, match="not a plain identifier"):
        check_model_key("stages=3 classes=10")


def test_performance_windows_are_sized_between_the_runner_limits():
    assert perf_iterations(1e-4) == 130_000  # 13 s: above 10 s, below the 30 s reply limit
    assert perf_iterations(100.0) == 1 and perf_iterations(1e-12) == 10_000_000
    assert perf_iterations(0.0) == 1000  # unknown


def _read_like_the_runner(folder: Path) -> list[tuple[str, int, bytes]]:
    """The runner's DataSet: y_labels.csv read with fieldnames, each file read whole."""
    with (folder / "y_labels.csv").open() as f:
        rows = list(csv.DictReader(f, fieldnames=["file", "classes", "class", "bytes_to_send",
                                                  "stride"]))
    return [(r["file"], int(r["class"]), (folder / r["file"]).read_bytes()) for r in rows]


def test_export_layout_is_what_the_runner_reads(tmp_path):
    xq = np.arange(-6, 6, dtype=np.int8).reshape(3, 4)
    write_export(tmp_path, "toy", xq, np.array([2, 0, 1]), 3, 1234, "ped_toy")
    files = _read_like_the_runner(tmp_path / "toy")
    assert [(c, d) for _, c, d in files] == [(2, xq[0].tobytes()), (0, xq[1].tobytes()),
                                             (1, xq[2].tobytes())]
    assert (tmp_path / "toy" / "y_labels.csv").read_text().splitlines()[0] == \
        "toy_00000.bin,3,2"
    acc = (tmp_path / "tests_accuracy.yaml").read_text()
    perf = (tmp_path / "tests_performance.yaml").read_text()
    assert acc.startswith("toy:\n") and "  model: toy\n" in acc
    assert "  truth_file: y_labels.csv\n" in acc
    assert "- loop:\n      - download\n      - infer 1 0\n" in acc
    assert "- loop 5:\n      - download\n      - infer 1234 10\n" in perf


# ---- slow: the runner's side against real firmware -----------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlperf")
    ds, _ = build_tiny_ensemble(root / "students")
    stages = quantize_ensemble(root / "students", ds.x["train"])
    write_stage_table(stages, root / "tflite", ds.n_classes, ds.meta["majority_class"],
                      ds.meta["input_shape"])
    spec = BundleSpec.from_stages_json(root / "tflite")
    generate(BundleSpec(spec.n_classes, spec.default_class, spec.stages, key=KEY),
             root / "firmware")
    (root / "data").mkdir()
    ds.save(root / "data" / "dataset")
    ex = export_mlperf(root, root / "datasets", KEY, iterations=20, max_files=N_FILES)
    assert (ex.files, ex.key, ex.iterations) == (N_FILES, KEY, 20)
    x, y = ds.x["test"][:N_FILES], ds.y["test"][:N_FILES]
    _, accs = host_expectation(stages, x)
    scale = aggregation_plan(stages).probability_scale()
    expected = probabilities_milli(accs[-1], *scale)  # TFLM through the device's arithmetic
    assert ex.host_top1 == pytest.approx(host_top1(accs[-1], y, scale))
    return root, expected, ex.host_top1, np.argmax(accs[-1], axis=1)


def _image(root: Path, target: str) -> Path:
    build(target, root / "firmware")
    dst = root / "bin" / target / get_target(target).elf().name
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(get_target(target).elf(), dst)
    if get_target(target).elf().with_suffix(".uf2").is_file():  # the Pico's image
        shutil.copy2(get_target(target).elf().with_suffix(".uf2"), dst.with_suffix(".uf2"))
    return dst


@pytest.mark.slow
@pytest.mark.parametrize("target", ["native", "qemu-m4", "pico"])
def test_the_runner_drives_the_firmware(exported, target):
    root, expected, host_top1_pct, tflm_class = exported
    files = _read_like_the_runner(root / "datasets" / KEY)
    with targets.running(target, _image(root, target)) as t:
        # phase 1 (the runner's init_dut): open, name, profile, close
        with RunnerSide(t.url) as side:
            assert side.unsolicited(0.5) == b""  # the DUT speaks only when spoken to
            assert side.name() == target
            assert side.profile()["model"] == KEY
            assert side.command("x" * 80) == ["e-[Unknown command: " + "x" * 80 + "]",
                                              "m-ready"]
            side.port.write(b"y" * 81 + b"%")  # past the 80-character buffer
            assert side.raw_reply() == ["e-[Command too long]", "m-ready"]
            assert side.command("bogus") == ["e-[Unknown command: bogus]", "m-ready"]
            assert side.command("timestamp")[0].startswith("m-lap-us-")
        # phase 2 (accuracy): reopen, then download + infer 1 0 per file
        with RunnerSide(t.url) as side:
            correct, agree = 0, 0
            for i, (_, label, data) in enumerate(files):
                assert len(data) > MAX_CHUNK  # the upload really is chunked
                side.load(data)
                inf = side.infer(1, 0)
                assert inf.lines[:3] == ["m-warmup-start-0", "m-warmup-done",
                                         "m-infer-start-1"]
                assert [bool(LAP_RE.match(v)) for v in inf.lines[3:5]] == [True, True]
                assert inf.lines[5:] == ["m-infer-done", inf.lines[6], "m-ready"]
                assert [round(s * 1000) for s in inf.scores] == expected[i].tolist()
                scores = np.asarray(inf.scores) / sum(inf.scores)  # what the runner does
                correct += int(np.argmax(scores) == label)
                agree += int(np.argmax(scores) == tflm_class[i])
            assert 100.0 * correct / len(files) == pytest.approx(host_top1_pct)
            assert agree >= len(files) - 1  # the check: +-1 file against TFLM's argmax
        # phase 3 (performance): reopen, infer N W; the laps give a positive elapsed time
        with RunnerSide(t.url) as side:
            side.load(files[0][2])
            inf = side.infer(20, 2)
            assert inf.elapsed_us > 0
            assert [round(s * 1000) for s in inf.scores] == expected[0].tolist()
        # what `ped export mlperf` sizes the performance entry by
        per_inference = measure_inference_seconds(t.url, files[0][2], n=50)
        assert 0 < per_inference < 0.1
