"""Class probabilities from the final int32 accumulator: the firmware's integer arithmetic.

The contract (formula, rounding, table) is written once, in
`firmware/include/ped/probability.h`; this module reads the 2^-f table from that header and
does exactly what `firmware/src/probability.c` does, so probabilities a benchmark runner reads
from the device (text mode, docs/protocol.md) can be predicted on the host bit for bit.

p_j (thousandths) = softmax of the real logits S * acc_j, through 2^(c (acc_j - max)) with
c = S * log2(e) = multiplier * 2^-shift (`probability_scale`).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.data.recipe import REPO_ROOT

HEADER = REPO_ROOT / "firmware" / "include" / "ped" / "probability.h"


def header_define(header: Path, name: str) -> int:
    """The integer value of `#define NAME <int>[u]` in a firmware header."""
    found = re.search(rf"#define {name}\s+(\d+)u?\b", header.read_text())
    if found is None:
        raise RuntimeError(f"{header} has no #define {name}")
    return int(found.group(1))


ONE = header_define(HEADER, "PED_PROB_ONE")  # thousandths


@lru_cache(maxsize=1)
def exp2_table() -> tuple[int, ...]:
    """PED_PROB_EXP2_TABLE from the C header: round(2^30 * 2^(-i/16)), i = 0..16."""
    text = HEADER.read_text()
    body = re.search(r"#define PED_PROB_EXP2_TABLE((?:[^\n]*\\\n)*[^\n]*)", text)
    if body is None:
        raise RuntimeError(f"{HEADER} has no PED_PROB_EXP2_TABLE")
    values = tuple(int(v) for v in re.findall(r"(\d+)u", body.group(1)))
    if len(values) != 17:
        raise RuntimeError(f"PED_PROB_EXP2_TABLE in {HEADER} has {len(values)} entries, not 17")
    return values


def probability_scale(acc_scale: float) -> tuple[int, int]:
    """(multiplier, shift) with S * log2(e) ~= multiplier * 2^-shift, 2^14 <= multiplier < 2^15.

    Raises ValueError when S is not positive or so large that shift < 16 (one accumulator unit
    would be worth more than a logit: no aggregation plan produces that)."""
    c = acc_scale * math.log2(math.e)
    if not c > 0 or not math.isfinite(c):
        raise ValueError(f"accumulator scale {acc_scale} is not a positive number")
    frac, exp = math.frexp(c)  # c = frac * 2^exp, 0.5 <= frac < 1
    mult, shift = round(frac * 2**15), 15 - exp
    if mult == 2**15:
        mult, shift = 2**14, shift - 1
    if shift < 16:
        raise ValueError(f"accumulator scale {acc_scale} is too coarse for the probability "
                         "arithmetic (needs S * log2(e) < 2^-1)")
    return mult, shift


def probabilities_milli(acc: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """p_j in thousandths (int64, same shape as acc (..., L)), exactly as the device does."""
    table = np.asarray(exp2_table(), dtype=np.uint64)
    a = np.asarray(acc, dtype=np.int64)
    d = (a.max(axis=-1, keepdims=True) - a).astype(np.uint64)
    e = (d * np.uint64(multiplier)) >> np.uint64(shift - 16)
    n = e >> np.uint64(16)
    i = ((e >> np.uint64(12)) & np.uint64(15)).astype(np.int64)
    r = e & np.uint64(0xFFF)
    step = ((table[i] - table[i + 1]) * r) >> np.uint64(12)
    w = np.where(n >= 31, np.uint64(0), (table[i] - step) >> np.minimum(n, np.uint64(31)))
    total = w.sum(axis=-1, keepdims=True, dtype=np.uint64)
    return ((w * np.uint64(ONE) + total // np.uint64(2)) // total).astype(np.int64)


def format_milli(p: int) -> str:
    """How the device prints one probability: %0.3f of p / 1000."""
    return f"{p // ONE}.{p % ONE:03d}"
