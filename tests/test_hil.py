"""HIL end to end on real generated code: a two-stage ensemble (with a connection) is
quantized, generated as C, built for `native`, `qemu-m4` and `pico` (rp2040js), and streamed
through the harness; every stage's int32 scores must equal TFLM + the fixed-point aggregation. Also:
resume after the device is killed mid-run, refusal of a device with another bundle, a link
that flips, drops and inserts bytes and is cut and the device reset mid-run (our fault relay,
seeded), and a farm of emulated boards that loses one mid-run."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections import Counter

import pytest
from aggregation_check import check_device_against_float_ensemble
from ensemble_fixture import build_tiny_ensemble

from pipeline.codegen import BundleSpec, generate
from pipeline.firmware_build import build, get_target
from pipeline.harness import hil, targets
from pipeline.harness.errors import BundleMismatch, HarnessError
from pipeline.harness.relay import FaultRelay
from pipeline.quantize import bundle_hash, host_expectation, quantize_ensemble, write_stage_table

N = 24  # test samples streamed per run


def _make_bundle(root, **wiring):
    """The tiny ensemble (`build_tiny_ensemble(**wiring)`) quantized, its stage table and C
    generated under root: (root, dataset, quantized test inputs, host scores, bundle hash)."""
    ds, _ = build_tiny_ensemble(root / "students", **wiring)
    stages = quantize_ensemble(root / "students", ds.x["train"])
    write_stage_table(stages, root / "tflite", ds.n_classes, ds.meta["majority_class"],
                      ds.meta["input_shape"])
    generate(BundleSpec.from_stages_json(root / "tflite"), root / "firmware")
    xq, expected = host_expectation(stages, ds.x["test"][:N])
    return root, ds, xq, expected, bundle_hash(root / "tflite")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return _make_bundle(tmp_path_factory.mktemp("hilrun"))


def _image(root, target):
    build(target, root / "firmware")
    t = get_target(target)
    dst = root / "bin" / target / t.elf().name
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(t.elf(), dst)
    if t.elf().with_suffix(".uf2").is_file():  # the Pico's image
        shutil.copy2(t.elf().with_suffix(".uf2"), dst.with_suffix(".uf2"))
    return dst


def _cfg(root, target, expected_hash):
    return hil.HilConfig(url="", target=target, out_dir=root / "hil" / target,
                         expected_hash=expected_hash, run_dir=str(root), timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["native", "qemu-m4", "qemu-m3", "pico"])
def test_device_scores_equal_the_host_bit_for_bit(bundle, target):
    root, ds, xq, expected, digest = bundle
    image = _image(root, target)
    cfg = _cfg(root, target, digest)
    with targets.running(target, image) as t:
        cfg.url = t.url
        summary = hil.validate(cfg, xq, ds.y["test"][:N], expected, log=lambda _: None)
    assert summary["samples"] == N and summary["bit_exact_samples"] == N
    lines = (cfg.out_dir / "results.jsonl").read_text().splitlines()
    assert len(lines) == N and all(json.loads(x)["bit_exact"] for x in lines)
    # and, independently of the aggregation plan, within the float ensemble's error bound
    check = check_device_against_float_ensemble(root / "tflite", cfg.out_dir / "results.jsonl",
                                                ds.x["test"][:N])
    assert check["checked"] == 2 * N and check["clear_margin"] > 0


@pytest.mark.slow
def test_a_stage_that_reads_no_earlier_map_is_bit_exact_on_the_device(tmp_path):
    """Stage 2 reads stage 1's map, stage 3 reads nothing (B-DISTIL's `fresh_reads = "none"`
    wiring): the generated C on `native` equals TFLM + the fixed-point aggregation."""
    root, ds, xq, expected, digest = _make_bundle(tmp_path, solo_third=True)
    assert len(expected) == 3  # the accumulators after each of the three stages
    image = _image(root, "native")
    cfg = _cfg(root, "native", digest)
    with targets.running("native", image) as t:
        cfg.url = t.url
        summary = hil.validate(cfg, xq, ds.y["test"][:N], expected, log=lambda _: None)
    assert summary["samples"] == N and summary["bit_exact_samples"] == N
    lines = [json.loads(x) for x in (cfg.out_dir / "results.jsonl").read_text().splitlines()]
    assert len(lines) == N and all(x["bit_exact"] for x in lines)


@pytest.mark.slow
def test_killed_device_then_resume_loses_and_duplicates_nothing(bundle):
    root, ds, xq, expected, digest = bundle
    image = _image(root, "native")
    cfg = _cfg(root, "native", digest)
    cfg.out_dir = root / "hil" / "native-kill"
    cfg.timeout = 1.0
    with targets.running("native", image) as t:
        cfg.url = t.url
        done = []

        def kill_after_eight():
            done.append(1)
            if len(done) == 8:
                t.process.kill()

        with pytest.raises(HarnessError):
            hil.validate(cfg, xq, ds.y["test"][:N], expected, log=lambda _: None,
                         progress=kill_after_eight)
    first = (cfg.out_dir / "results.jsonl").read_text().splitlines()
    assert len(first) == 8
    with targets.running("native", image) as t:
        cfg.url = t.url
        summary = hil.validate(cfg, xq, ds.y["test"][:N], expected, log=lambda _: None)
    ids = [json.loads(x)["id"] for x in (cfg.out_dir / "results.jsonl").read_text().splitlines()]
    assert sorted(ids) == sorted(f"test-{i}" for i in range(N))  # each exactly once
    assert summary["bit_exact_samples"] == N


@pytest.mark.slow
def test_device_with_another_bundle_is_refused(bundle):
    root, ds, xq, expected, _ = bundle
    image = _image(root, "native")
    cfg = _cfg(root, "native", "ab" * 32)
    cfg.out_dir = root / "hil" / "native-wrong"
    with targets.running("native", image) as t, pytest.raises(BundleMismatch) as err:
        cfg.url = t.url
        hil.validate(cfg, xq, ds.y["test"][:N], expected, log=lambda _: None)
    assert "ped flash" in err.value.fix
    assert not (cfg.out_dir / "results.jsonl").exists() or \
        (cfg.out_dir / "results.jsonl").read_text() == ""


def _ids(path):
    return Counter(json.loads(x)["id"] for x in path.read_text().splitlines())


@pytest.mark.slow
@pytest.mark.parametrize("target", ["native", "qemu-m4"])
def test_a_bad_link_loses_nothing_and_records_nothing_wrong(bundle, target):
    root, ds, xq, expected, digest = bundle
    image = _image(root, target)
    cfg = _cfg(root, target, digest)
    cfg.out_dir = root / "hil" / f"{target}-faults"
    with targets.running(target, image) as t, \
            FaultRelay(t.url, rate=1e-3, seed=3, cut_after=3_000, reset_after=7_000) as relay:
        cfg.url = relay.url
        summary = hil.validate(cfg, xq, ds.y["test"][:N], expected, log=lambda _: None)
    assert relay.counts.faults >= 10 and relay.counts.cuts == 1 and relay.counts.resets == 1
    assert summary["reconnects"] >= 1 and summary["resets"] >= 1
    assert (summary["complete"], summary["mismatched"], summary["incomplete"]) == (N, 0, 0)
    assert summary["bit_exact_samples"] == N
    ids = _ids(cfg.out_dir / "results.jsonl")
    assert sorted(ids) == sorted(f"test-{i}" for i in range(N)) and set(ids.values()) == {1}


@pytest.mark.slow
def test_a_farm_shards_the_split_and_survives_a_dead_board(bundle):
    root, ds, xq, expected, digest = bundle
    image = _image(root, "qemu-m4")
    cfg = _cfg(root, "qemu-m4", digest)
    cfg.out_dir = root / "hil" / "farm"
    cfg.reconnect_timeout = 1.0
    with contextlib.ExitStack() as stack:
        boards = [stack.enter_context(targets.running("qemu-m4", image, idle_sleep=True))
                  for _ in range(3)]
        cfg.devices = [(f"qemu-m4#{k}", b.url) for k, b in enumerate(boards)]
        done = []
        log_path = cfg.out_dir / "results.jsonl"

        def kill_board_1():
            """Once six samples are in and board 1 has answered one of them (on a fast host
            the other two can answer the first six), board 1's emulator dies."""
            done.append(1)
            if len(done) >= 6 and boards[1].process.poll() is None and any(
                    json.loads(ln)["device"] == "qemu-m4#1"
                    for ln in log_path.read_text().splitlines()):
                boards[1].process.kill()

        summary = hil.validate(cfg, xq, ds.y["test"][:N], expected, log=lambda _: None,
                               progress=kill_board_1)
    assert summary["bit_exact_samples"] == N and summary["incomplete"] == 0
    rows = {d["device"]: d for d in summary["devices"]}
    assert rows["qemu-m4#1"]["status"] == "died"
    assert rows["qemu-m4#0"]["samples"] > 0 and rows["qemu-m4#2"]["samples"] > 0
    assert sum(d["samples"] for d in rows.values()) == N
    recs = [json.loads(x) for x in (cfg.out_dir / "results.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in recs) == sorted(f"test-{i}" for i in range(N))
    assert {r["device"] for r in recs} == set(rows)
    # resume across the farm: a second run (one board) finds everything recorded
    with targets.running("qemu-m4", image) as t:
        cfg.devices, cfg.url = [], t.url
        again = hil.validate(cfg, xq, ds.y["test"][:N], expected, log=lambda _: None)
    assert again["bit_exact_samples"] == N and again["devices"][0]["samples"] == 0


def test_stratified_sample_holds_every_class_and_is_seeded():
    import numpy as np

    y = np.array([0] * 90 + [1] * 8 + [2] * 2)
    a = hil.stratified_indices(y, 20, seed=1)
    assert len(a) == 20 and len(set(a.tolist())) == 20
    assert set(y[a].tolist()) == {0, 1, 2}
    assert sorted(Counter(y[a].tolist()).values()) == [1, 2, 17]  # in proportion, >= 1 each
    assert (a == hil.stratified_indices(y, 20, seed=1)).all()
    assert not (a == hil.stratified_indices(y, 20, seed=2)).all()
    assert (hil.stratified_indices(y, 500) == np.arange(100)).all()  # the whole split


@pytest.mark.slow
def test_pico_battery_drop_through_the_adc_stops_the_run(bundle):
    """The harness drains the emulated battery the Pico's ADC reads; the firmware's own
    threshold check stops inference (reason battery), ending with a stage-0 answer. The drain
    (permille per 10^9 active cycles) puts the crossing about ten inferences (~0.5 M cycles
    each on the Cortex-M0+) in."""
    root, ds, xq, _, digest = bundle
    image = _image(root, "pico")
    cfg = _cfg(root, "pico", digest)
    with targets.running("pico", image) as t:
        cfg.url, cfg.power = t.url, t.power
        assert cfg.power is not None
        out = hil.battery_drop(cfg, xq, ds.y["test"][:N], drain=150_000, n=N,
                               log=lambda _: None)
    assert "battery" in out["reasons"] and out["reasons"][-1] == "battery"
    assert out["stages"][-1] == 0 and out["reasons"][0] == "all"
