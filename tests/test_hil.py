"""HIL end to end on real generated code: a two-stage ensemble (with a connection) is
quantized, generated as C, built for `native`, `qemu-m4` and `pico` (rp2040js), and streamed
through the harness; every stage's int32 scores must equal TFLM + the fixed-point aggregation. Also:
resume after the device is killed mid-run, and refusal of a device with another bundle."""

from __future__ import annotations

import json
import shutil

import pytest
from aggregation_check import check_device_against_float_ensemble
from ensemble_fixture import build_tiny_ensemble

from pipeline.codegen import BundleSpec, generate
from pipeline.firmware_build import build, get_target
from pipeline.harness import hil, targets
from pipeline.harness.errors import BundleMismatch, HarnessError
from pipeline.quantize import bundle_hash, host_expectation, quantize_ensemble, write_stage_table

N = 24  # test samples streamed per run


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("hilrun")
    ds, _ = build_tiny_ensemble(root / "students")
    stages = quantize_ensemble(root / "students", ds.x["train"])
    write_stage_table(stages, root / "tflite", ds.n_classes, ds.meta["majority_class"],
                      ds.meta["input_shape"])
    generate(BundleSpec.from_stages_json(root / "tflite"), root / "firmware")
    xq, expected = host_expectation(stages, ds.x["test"][:N])
    return root, ds, xq, expected, bundle_hash(root / "tflite")


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
