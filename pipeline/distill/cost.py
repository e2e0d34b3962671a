"""Cost records of candidates on a target board, and the board's per-student budget.

`cost(candidate, target)` builds the candidate's Keras model once (cached) and counts:
- MACs (pipeline.models.count_macs), parameter bytes once int8 (weights int8, biases int32);
- peak activation bytes (largest int8 in+out pair of one layer) and the bytes of the earlier
  feature maps the student reads, which stay live beside it: RAM = peak + read maps;
- cycles on the target, in the target's CPU cycles (the unit of `ped_stage_t.cost_cycles`;
  on QEMU instruction time), from `boards/<board>/profile.json` (written by `ped profile`,
  see docs/profile.md), with `cycles_source` saying where the number came from:
    "measured"  the candidate's architecture (`arch_key`) was profiled on the board;
    "model"     the profile's fitted cost model: sum over features (`features(c)`: MACs and
                output elements per layer kind, layers, 1) times its coefficients;
    "estimate"  no profile: the documented estimate
      cycles = 6 * MACs + 4 * output elements + 2000 * layers
  (6 cycles/MAC is TFLM's reference int8 conv on a Cortex-M4 without CMSIS-NN, give or
  take 2x; the other terms are requantisation per element and per-layer call overhead).
  Older profile.json files with top-level "cycles_per_mac"/"cycles_per_element"/
  "cycles_per_layer" and "candidates" keyed by name are still read ("model"/"measured").
`refusal(record, budget)` says why a candidate cannot be a student on that board (None = fits).
"""

from __future__ import annotations

import hashlib
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
    cycles_source: str  # "measured" | "model" | "estimate"

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


def arch_key(c: Candidate) -> str:
    """Architecture hash (16 hex): what the compiled network depends on, not the stage number."""
    d = {"arch": c.arch.spec(), "input_shape": list(c.input_shape), "n_classes": c.n_classes,
         "reads": [list(r.shape) for r in c.reads]}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


@lru_cache(maxsize=512)
def _features(c: Candidate) -> tuple[tuple[str, float], ...]:
    import numpy as np

    from pipeline.models import layer_macs

    f: dict[str, float] = {"one": 1.0, "layers": 0.0}
    for layer in build_student(c).layers:
        macs = layer_macs(layer)
        if macs > 0:
            kind = type(layer).__name__.lower()
            f[f"macs_{kind}"] = f.get(f"macs_{kind}", 0.0) + macs
            f[f"elems_{kind}"] = f.get(f"elems_{kind}", 0.0) + float(
                np.prod(layer.output.shape[1:]))
            f["layers"] += 1
            if hasattr(layer, "filters"):  # convolutions: the kernels' im2col
                # (firmware/kernels/conv_2d.c) gathers MACs / filters taps over the output
                # pixels, with a fixed cost per pixel and per filter row
                f[f"taps_{kind}"] = f.get(f"taps_{kind}", 0.0) + macs / layer.filters
                pixels = float(np.prod(layer.output.shape[1:-1]))
                f[f"pixels_{kind}"] = f.get(f"pixels_{kind}", 0.0) + pixels
    return tuple(sorted(f.items()))


def features(c: Candidate) -> dict[str, float]:
    """The cost model's inputs, summed over the layers of each Keras kind (conv2d, conv1d,
    dense): macs_<kind>, elems_<kind> (layer output elements) and, for convolutions,
    taps_<kind> (input taps gathered per output pixel, summed over pixels) and
    pixels_<kind> (output pixels); plus layers with MACs, and 1."""
    return dict(_features(c))


def predict(coefficients: dict[str, float], feats: dict[str, float]) -> float:
    """Modelled cycles: sum of coefficient * feature (features without a coefficient add 0)."""
    return sum(coefficients.get(k, 0.0) * v for k, v in feats.items())


def _profile(board: str) -> dict:
    path = BOARDS_DIR / board / "profile.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def cost(c: Candidate, target: str | Board) -> CostRecord:
    board = target if isinstance(target, Board) else load_board(target)
    macs, params, peak, n_layers, elements = _counts(c)
    prof = _profile(board.name)
    entry = prof.get("architectures", {}).get(arch_key(c))
    measured = entry["cycles"] if entry else prof.get("candidates", {}).get(c.name)
    coeffs = prof.get("model", {}).get("coefficients")
    legacy = {k: prof[k] for k in DEFAULT_COEFFS if k in prof}
    if measured is not None:
        cycles, source = int(measured), "measured"
    elif coeffs:
        cycles, source = round(max(predict(coeffs, features(c)), 1.0)), "model"
    else:
        co = DEFAULT_COEFFS | legacy
        cycles = int(co["cycles_per_mac"] * macs + co["cycles_per_element"] * elements
                     + co["cycles_per_layer"] * n_layers)
        source = "model" if legacy else "estimate"
    return CostRecord(macs, params, peak, sum(r.bytes_int8 for r in c.reads), n_layers,
                      cycles, source)


def refusal(rec: CostRecord, budget: Budget) -> str | None:
    """Why this cost cannot be a student under `budget`, or None when it fits."""
    if rec.flash_bytes > budget.student_flash_bytes:
        return f"flash {rec.flash_bytes} B > budget {budget.student_flash_bytes} B"
    if rec.ram_bytes > budget.student_ram_bytes:
        return f"RAM {rec.ram_bytes} B > budget {budget.student_ram_bytes} B"
    return None
