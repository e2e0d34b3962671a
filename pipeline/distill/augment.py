"""Augmented views of the training inputs, for function matching (the teacher labels them).

`views(x, kind, n_views, seed)` returns n_views label-preserving perturbations of every example,
stacked view by view: row v * N + i is view v of example i, so labels are `np.tile(y, n_views)`
and shapes are those of x. Deterministic under `seed`. The teacher's logits on these views are
the targets (Beyer et al. 2022, "Knowledge distillation: a good teacher is patient and
consistent": the student matches the teacher's function on inputs around the data, not
precomputed logits of the train split), so a later B-DISTIL round sees residuals on inputs the
earlier stages were not fitted to.

Per input kind, in the dataset's normalised units (per-channel standardised):
- sequence (IMU windows, MFCC frames): time shift by up to 10% of the length (edge padding), time
  scale by U(0.9, 1.1) (linear resampling about the centre), per-channel gain U(0.9, 1.1),
  Gaussian noise sigma 0.1;
- image: shift by up to 2 pixels in each axis (edge padding), Gaussian noise sigma 0.05;
- vector: Gaussian noise sigma 0.1.
Mixup is left out: it does not preserve the label, which the CE term of the objective uses.
Choice beyond the paper (which distils on the fixed train split).
"""

from __future__ import annotations

import numpy as np

SEQ_SHIFT = 0.1
SEQ_SCALE = 0.1
SEQ_GAIN = 0.1
SEQ_NOISE = 0.1
IMG_SHIFT = 2
IMG_NOISE = 0.05
VEC_NOISE = 0.1


def _sequence(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, t, c = x.shape
    out = np.empty_like(x)
    grid = np.arange(t, dtype=np.float64)
    centre = (t - 1) / 2
    max_shift = SEQ_SHIFT * t
    for i in range(n):
        scale = rng.uniform(1 - SEQ_SCALE, 1 + SEQ_SCALE)
        shift = rng.uniform(-max_shift, max_shift)
        src = np.clip(centre + (grid - centre) / scale - shift, 0, t - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, t - 1)
        frac = (src - lo)[:, None]
        out[i] = (1 - frac) * x[i, lo] + frac * x[i, hi]
    gain = rng.uniform(1 - SEQ_GAIN, 1 + SEQ_GAIN, size=(n, 1, c))
    return (out * gain + rng.normal(0.0, SEQ_NOISE, size=x.shape)).astype(x.dtype)


def _image(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, h, w = x.shape[:3]
    s = IMG_SHIFT
    pad = [(0, 0), (s, s), (s, s)] + [(0, 0)] * (x.ndim - 3)
    big = np.pad(x, pad, mode="edge")
    out = np.empty_like(x)
    dy = rng.integers(-s, s + 1, size=n)
    dx = rng.integers(-s, s + 1, size=n)
    for i in range(n):
        out[i] = big[i, s + dy[i]:s + dy[i] + h, s + dx[i]:s + dx[i] + w]
    return (out + rng.normal(0.0, IMG_NOISE, size=x.shape)).astype(x.dtype)


def _vector(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (x + rng.normal(0.0, VEC_NOISE, size=x.shape)).astype(x.dtype)


AUGMENT = {"sequence": _sequence, "image": _image, "vector": _vector}


def views(x: np.ndarray, kind: str, n_views: int, seed: int) -> np.ndarray:
    """(n_views * N, *x.shape[1:]): n_views augmented copies of x, view-major."""
    if kind not in AUGMENT:
        raise ValueError(f"no augmentation for input kind {kind!r}; use one of {list(AUGMENT)}")
    rng = np.random.default_rng(seed)
    if n_views <= 0:
        return x[:0]
    return np.concatenate([AUGMENT[kind](x, rng) for _ in range(n_views)], axis=0)
