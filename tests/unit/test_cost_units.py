"""Stage costs are printed in the board's cost unit: instructions on the QEMU boards (their
clock is -icount instruction time), cycles on real boards (issue #16: no instruction count
called cycles)."""

from __future__ import annotations

from pipeline.boards import load_board
from pipeline.distill.bdistil import _describe
from pipeline.distill.cost import CostRecord
from pipeline.distill.findwl import Trial


def test_emulated_boards_count_instructions_real_ones_cycles():
    assert load_board("qemu-m4").cost_unit == "instructions"
    assert load_board("qemu-m3").cost_unit == "instructions"
    assert load_board("pico").cost_unit == "cycles"


def test_distill_log_names_the_boards_unit():
    rec = CostRecord(macs=5404, param_bytes=900, peak_activation_bytes=800,
                     read_feature_bytes=0, layers=4, cycles=30667, cycles_source="measured")
    trial = Trial(candidate=type("C", (), {"name": "c1d-4"})(), cost=rec, accepted=True,
                  edge=0.1)
    for board in ("qemu-m4", "pico"):
        line = _describe(trial, 1, load_board(board).cost_unit)
        unit = load_board(board).cost_unit
        assert f"30,667 {unit} (measured)" in line, line
    assert "cycles" not in _describe(trial, 1, load_board("qemu-m4").cost_unit)
