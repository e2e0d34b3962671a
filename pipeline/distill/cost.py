"""Cost records of candidates on a target board, and the board's per-student budget.

`cost(candidate, target)` builds the candidate's Keras model once (cached) and counts:
- MACs (pipeline.models.count_macs), parameter bytes once int8 (weights int8, biases int32);
- peak activation bytes (largest int8 in+out pair of one layer) and the bytes of the earlier
  feature maps the student reads, which stay live beside it: RAM = peak + read maps;
- cycles on the target: measured when `boards/<board>/profile.json` lists the candidate, else
  fitted coefficients from that file, else the documented estimate
      cycles = 6 * MACs + 4 * output elements + 2000 * layers
  (6 cycles/MAC is TFLM's reference int8 conv on a Cortex-M4 without CMSIS-NN, give or
  take 2x; the other terms are requantisation per element and per-layer call overhead).
  profile.json (written by the profiling issue): {"cycles_per_mac": a, "cycles_per_element": b,
  "cycles_per_layer": c, "candidates": {"<candidate name>": cycles}}; any key may be absent.
`refusal(record, budget)` says why a candidate cannot be a student on that board (None = fits).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache

from pipeline.boards import BOARDS_DIR, Board, Budget, load_board
from pipeline.distill.pool import Candidate, build_student

DEFAULT_COEFFS = {"cycles_per_mac": 6.0, "cycles_per_element": 4.0, "cycles_per_layer": 2000.0}


@dataclass(frozen=True)
class CostRecord:
    macs: int
    param_bytes: int
    peak_activation_bytes: int
    read_feature_bytes: int
    layers: int
    cycles: int
    cycles_source: str  # "measured" | "profile-fit" | "estimate"

    @property
    def flash_bytes(self) -> int:
        return self.param_bytes

    @property
    def ram_bytes(self) -> int:
        return self.peak_activation_bytes + self.read_feature_bytes

    def to_dict(self) -> dict:
        return asdict(self) | {"flash_bytes": self.flash_bytes, "ram_bytes": self.ram_bytes}


@lru_cache(maxsize=512)
def _counts(c: Candidate) -> tuple[int, int, int, int, int]:
    import numpy as np

    from pipeline.models import count_macs, layer_macs, param_bytes_int8, peak_activation_bytes

    m = build_student(c)
    n_layers = sum(1 for layer in m.layers if layer_macs(layer) > 0)
    elements = sum(int(np.prod(layer.output.shape[1:])) for layer in m.layers
                   if layer_macs(layer) > 0)
    return count_macs(m), param_bytes_int8(m), peak_activation_bytes(m), n_layers, elements


def _profile(board: str) -> dict:
    path = BOARDS_DIR / board / "profile.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def cost(c: Candidate, target: str | Board) -> CostRecord:
    board = target if isinstance(target, Board) else load_board(target)
    macs, params, peak, n_layers, elements = _counts(c)
    prof = _profile(board.name)
    measured = prof.get("candidates", {}).get(c.name)
    if measured is not None:
        cycles, source = int(measured), "measured"
    else:
        fitted = {k: prof[k] for k in DEFAULT_COEFFS if k in prof}
        co = DEFAULT_COEFFS | fitted
        cycles = int(co["cycles_per_mac"] * macs + co["cycles_per_element"] * elements
                     + co["cycles_per_layer"] * n_layers)
        source = "profile-fit" if fitted else "estimate"
    return CostRecord(macs, params, peak, sum(r.bytes_int8 for r in c.reads), n_layers,
                      cycles, source)


def refusal(rec: CostRecord, budget: Budget) -> str | None:
    """Why this cost cannot be a student under `budget`, or None when it fits."""
    if rec.flash_bytes > budget.student_flash_bytes:
        return f"flash {rec.flash_bytes} B > budget {budget.student_flash_bytes} B"
    if rec.ram_bytes > budget.student_ram_bytes:
        return f"RAM {rec.ram_bytes} B > budget {budget.student_ram_bytes} B"
    return None
