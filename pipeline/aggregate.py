"""Fixed-point ensemble aggregation: the exact integer arithmetic the firmware runs.

The contract is written once, in `firmware/include/ped/model.h`; this is its Python model and
must agree with `firmware/src/aggregate.c` bit for bit (golden vectors in tests tie them).

Per stage k: int8 logits q_k with zero point z_k and scale s_k, aggregation weight alpha_k.
One accumulator scale S = max_k(alpha_k * s_k) / M_MAX, and integer multipliers
m_k = round(alpha_k * s_k / S) in [1, M_MAX]. Then, in int32,
    acc[j] = sum_k m_k * (q_k[j] - z_k),   class = argmax (lowest index on ties),
    margin = acc[class] - second largest acc.
Error against the float ensemble sum_k alpha_k * s_k * (q_k - z_k), per element:
    |S * acc - float| <= sum_k |alpha_k s_k - S m_k| * |q_k - z_k| <= K * (S / 2) * 255.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

M_MAX = 32767  # fits int16, so a 16x16->32 multiply suffices (Cortex-M0+)


@dataclass(frozen=True)
class AggregationPlan:
    """What codegen writes into the stage table: S (host only) and m_k, z_k per stage."""

    acc_scale: float
    multipliers: tuple[int, ...]
    zero_points: tuple[int, ...]

    @classmethod
    def from_stages(cls, scales: list[float], zero_points: list[int],
                    weights: list[float]) -> AggregationPlan:
        eff = np.asarray(scales, dtype=np.float64) * np.asarray(weights, dtype=np.float64)
        if np.any(eff <= 0):
            raise ValueError("every stage needs a positive scale * weight")
        acc_scale = float(eff.max()) / M_MAX
        mult = np.clip(np.round(eff / acc_scale), 1, M_MAX).astype(np.int64)
        return cls(acc_scale, tuple(int(m) for m in mult), tuple(int(z) for z in zero_points))

    def probability_scale(self) -> tuple[int, int]:
        """(prob_multiplier, prob_shift) of the stage table: S * log2(e) in fixed point, for
        the device's probabilities (pipeline/probability.py)."""
        from pipeline.probability import probability_scale

        return probability_scale(self.acc_scale)

    def threshold_units(self, logit_margin: float) -> int:
        """A margin in float logit units as the integer the device compares against."""
        return round(logit_margin / self.acc_scale)


def accumulate(acc: np.ndarray, q: np.ndarray, multiplier: int, zero_point: int) -> np.ndarray:
    """acc (..., L) int32 += m * (q - z), in int32 with no rounding (exact)."""
    term = (q.astype(np.int32) - np.int32(zero_point)) * np.int32(multiplier)
    return (acc.astype(np.int32) + term).astype(np.int32)


def decide(acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class, margin) per row of acc (..., L): argmax with lowest index on ties."""
    cls = np.argmax(acc, axis=-1)
    top = np.take_along_axis(acc, cls[..., None], axis=-1)[..., 0].astype(np.int64)
    masked = acc.astype(np.int64).copy()
    np.put_along_axis(masked, cls[..., None], np.iinfo(np.int64).min, axis=-1)
    second = masked.max(axis=-1)
    return cls, (top - second).astype(np.int32)


def run_ensemble(stage_logits: list[np.ndarray], plan: AggregationPlan) -> list[np.ndarray]:
    """Accumulators after each stage, for int8 logits (N, L) per stage."""
    acc = np.zeros_like(stage_logits[0], dtype=np.int32)
    out = []
    for q, m, z in zip(stage_logits, plan.multipliers, plan.zero_points, strict=True):
        acc = accumulate(acc, q, m, z)
        out.append(acc.copy())
    return out
