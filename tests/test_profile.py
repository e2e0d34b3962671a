"""`ped profile`: measured cycle tables, the fitted cost model, and their use by FIND-WL and the
scheduler's admission control (see docs/profile.md)."""

from __future__ import annotations

import json
import os
import re
import subprocess

import numpy as np
import pytest

from pipeline.boards import BOARDS_DIR, load_board
from pipeline.distill.cost import arch_key, cost, features
from pipeline.distill.findwl import make_pool
from pipeline.distill.pool import Arch, Candidate
from pipeline.profile import DEPLOY_ICOUNT_SHIFT, SHIPPED, fit_model, pools
from tests.toolchain import require

MODEL_MEDIAN_BOUND = 0.10  # documented in docs/profile.md: median |relative error| on the pool
MODEL_MAX_BOUND = 0.10     # and the worst candidate

def test_fit_recovers_a_linear_cost_exactly():
    rng = np.random.default_rng(0)
    true = {"macs_conv2d": 5.0, "elems_conv2d": 90.0, "layers": 1200.0, "one": 300.0}
    archs = {}
    for i in range(12):
        f = {"macs_conv2d": float(rng.integers(100, 10**6)),
             "elems_conv2d": float(rng.integers(10, 5000)), "layers": float(rng.integers(2, 6)),
             "one": 1.0}
        archs[str(i)] = {"features": f, "cycles": sum(true[k] * v for k, v in f.items())}
    m = fit_model(archs)
    for k, v in true.items():
        assert m["coefficients"][k] == pytest.approx(v, rel=1e-6)
    assert m["max_abs_error"] < 1e-9 and m["loo_max_abs_error"] < 1e-6


def test_fit_reports_the_error_of_a_cost_it_cannot_represent():
    archs = {str(i): {"features": {"macs_dense": float(n), "one": 1.0}, "cycles": float(n * n)}
             for i, n in enumerate((10, 100, 1000, 5000))}
    assert fit_model(archs)["max_abs_error"] > 0.2


def _profile_dir(tmp_path, monkeypatch, prof: dict):
    import pipeline.distill.cost as cost_mod

    (tmp_path / "qemu-m4").mkdir()
    (tmp_path / "qemu-m4" / "profile.json").write_text(json.dumps(prof))
    monkeypatch.setattr(cost_mod, "BOARDS_DIR", tmp_path)
    return load_board("qemu-m4")


def test_cost_sources_measured_then_model_then_estimate(tmp_path, monkeypatch):
    a = Candidate(Arch("image", (2,)), (8, 8, 1), 10)
    b = Candidate(Arch("image", (3,)), (8, 8, 1), 10)
    shipped = json.loads((BOARDS_DIR / "qemu-m4" / "profile.json").read_text())
    rb = cost(b, "qemu-m4")  # the shipped profile measured this architecture
    assert (rb.cycles, rb.cycles_source) == \
        (shipped["architectures"][arch_key(b)]["cycles"], "measured")
    coeffs = {"macs_conv2d": 2.0, "macs_dense": 3.0, "layers": 100.0, "one": 7.0}
    board = _profile_dir(tmp_path, monkeypatch, {
        "architectures": {arch_key(a): {"cycles": 4242}}, "model": {"coefficients": coeffs}})
    ra, rb = cost(a, board), cost(b, board)
    assert (ra.cycles, ra.cycles_source) == (4242, "measured")
    f = features(b)
    assert rb.cycles_source == "model"
    assert rb.cycles == round(2 * f["macs_conv2d"] + 3 * f["macs_dense"] + 100 * f["layers"] + 7)


def test_find_wl_pool_is_ordered_by_the_measured_cost(tmp_path, monkeypatch):
    kind, shape, n = SHIPPED["digits"]
    cands = pools("digits")["digits"]
    # a profile that makes the MAC-heaviest architectures the cheapest: the order must follow it
    ranked = sorted(cands, key=lambda c: -cost(c, "qemu-m4").macs)
    board = _profile_dir(tmp_path, monkeypatch, {
        "architectures": {arch_key(c): {"cycles": 1000 + i} for i, c in enumerate(ranked)}})
    pool = make_pool(kind, shape, n, teacher_macs=10**9, board=board)
    assert [a.name for a in pool] == [c.arch.name for c in ranked]


def test_shipped_qemu_m4_profile_meets_the_documented_error_bound():
    path = BOARDS_DIR / "qemu-m4" / "profile.json"
    assert path.is_file(), "boards/qemu-m4/profile.json is shipped: `ped profile -t qemu-m4`"
    prof = json.loads(path.read_text())
    archs = prof["architectures"]
    assert {a["pool"] for a in archs.values()} == set(SHIPPED)
    assert prof["compiler"] and "-Os" in prof["flags"]
    assert prof["icount_shift"] == DEPLOY_ICOUNT_SHIFT  # the units `ped hil` schedules in
    assert prof["cost_unit"] == "instructions"  # what board_cycles() counts on QEMU
    refit = fit_model(archs)  # the recorded model is the fit of the recorded table
    assert refit["median_abs_error"] == pytest.approx(prof["model"]["median_abs_error"])
    errors = [abs(a["cycles"] - a["model_cycles"]) / a["cycles"] for a in archs.values()]
    assert float(np.median(errors)) <= MODEL_MEDIAN_BOUND
    assert max(errors) <= MODEL_MAX_BOUND
    assert prof["model"]["loo_median_abs_error"] <= MODEL_MEDIAN_BOUND


@pytest.mark.slow
def test_profile_is_deterministic_on_qemu():
    require("arm-none-eabi-gcc", "qemu-system-arm")
    from pipeline.profile import measure_candidates

    cands = pools("digits")["digits"][:3]
    first = measure_candidates("qemu-m4", cands, log=lambda m: None)
    second = measure_candidates("qemu-m4", cands, log=lambda m: None)
    assert [m.cycles for m in first] == [m.cycles for m in second]
    assert all(m.cycles > 0 and m.flash_bytes > 0 and m.arena_bytes > 0 for m in first)
    # more MACs, more cycles (c2d-2 < c2d-2-4 < c2d-3-6 ... by construction of the grid)
    assert first[0].cycles < first[1].cycles
    # cycles per layer: one per kernel call, deterministic, adding up to the stage's cycles
    assert [m.layer_cycles for m in first] == [m.layer_cycles for m in second]
    for m in first:
        assert len(m.layer_cycles) == m.n_layers and min(m.layer_cycles) > 0
        assert abs(sum(m.layer_cycles) - m.cycles) <= 0.01 * m.cycles


def _bench_sweep(model_dir) -> tuple[list[tuple[int, int]], dict[str, list[tuple]]]:
    from pipeline.firmware_build import PIO_BUILD_DIR, get_target, pio_command
    from pipeline.profile import REPO_ROOT, qemu_at_shift

    t = get_target("qemu-m4")
    env = dict(os.environ, PED_MODEL_DIR=str(model_dir), PED_BUDGET_BY_CALLER="1")
    subprocess.run(pio_command("run", "-e", "qemu-m4-bench"), cwd=REPO_ROOT, env=env,
                   check=True, capture_output=True)
    # the bench at the shift the costs were profiled at (the deployed one, `ped hil`'s)
    out = subprocess.run(qemu_at_shift(t, PIO_BUILD_DIR / "qemu-m4-bench" / t.program_name),
                         capture_output=True, text=True, timeout=300).stdout
    assert "BENCH done" in out, out[-2000:]
    stages = [(int(c), int(n)) for c, n in
              re.findall(r"^BENCH stage \d+ cycles (\d+) layers (\d+)", out, re.M)]
    sweep: dict[str, list[tuple]] = {}
    for mode, dl, reason, done, over in re.findall(
            r"^BENCH sweep (\w+) (\d+) (\w+) (\d+) (\d+)", out, re.M):
        sweep.setdefault(mode, []).append((int(dl), reason, int(done), int(over)))
    return stages, sweep


@pytest.mark.slow
def test_admission_with_measured_costs_never_overruns_on_qemu(tmp_path):
    """Three stages, costs measured by the profiler, a sweep of deadlines across the
    cumulative stage costs: with admission, no deadline fires inside a stage beyond one layer,
    and the scheduler runs every stage whose cumulative cost fits the deadline; with costs
    hidden (the control), the deadline does fire inside stages."""
    require("arm-none-eabi-gcc", "qemu-system-arm")
    from pipeline.codegen import BundleSpec, StageSpec, generate
    from pipeline.profile import _calibration, candidate_tflite, measure_model_dir

    cands = [c for c in pools("digits")["digits"] if c.arch.name in
             ("c2d-8-16", "c2d-12-24", "c2d-16-32")]
    calib = _calibration((8, 8, 1))
    tfl = [candidate_tflite(c, calib) for c in cands]

    def bundle(costs):
        return BundleSpec(10, 0, tuple(
            StageSpec(f"stage_{k:02d}", t, (None,), 0, cost_cycles=cc)
            for k, (t, cc) in enumerate(zip(tfl, costs, strict=True), start=1)))

    gen = tmp_path / "gen"
    generate(bundle([0, 0, 0]), gen)
    measured = [m.cycles for m in measure_model_dir("qemu-m4", gen)[0]]
    for old in gen.iterdir():
        old.unlink()
    generate(bundle(measured), gen)
    assert f"{measured[0]}u" in (gen / "ped_model.c").read_text()
    stages, sweep = _bench_sweep(gen)
    layer = max(c // n for c, n in stages)
    adm = sweep["admission"]
    assert len(adm) >= 32
    assert all(over <= layer for *_, over in adm), adm
    # admission reserves the profiled cost plus its margin (PED_ADMISSION_MARGIN_DIV), which
    # covers the in-scheduler excess over the profile: no admitted stage is ever overrun
    assert sum(1 for *_, over in adm if over > 0) == 0, adm
    # the scheduler finished exactly as many stages as fit in the deadline: never more, and
    # never fewer, except within 2% of a boundary, where the time between stages (the sink's
    # report, the admission check) decides
    hz = load_board("qemu-m4").cost_hz  # cost units (instructions) per second
    cum = [sum(measured[:k]) for k in range(1, 4)]
    exact = 0
    for dl_us, _, done, _ in adm:
        budget = dl_us * hz // 1_000_000
        fits = sum(1 for c in cum if c <= budget)
        near = any(c <= budget <= 1.02 * c for c in cum)
        assert done == fits or (near and done == fits - 1), (dl_us, budget, cum, done)
        exact += done == fits
    assert exact >= len(adm) - 3, adm
    assert {0, 1, 2} <= {done for _, _, done, _ in adm}  # the sweep crossed the boundaries
    assert any(over > 0 for *_, over in sweep["interrupt"])  # the control can fail
