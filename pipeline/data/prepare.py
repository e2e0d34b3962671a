"""Recipe -> `Dataset`: split recordings, cut fixed-size examples, normalise, cache.

Order matters and is fixed: recordings are split first (by group when the recipe says so, so
no subject appears in two splits; stratified by class otherwise), then cut into examples
(sliding windows, or pad/crop to a fixed length), then normalised with statistics computed on
the train split only. The result is cached under `datasets/.cache/` keyed by the recipe's
content hash; cache writes are atomic (temp file + rename), so a refusal or a crash never
leaves a half-written entry.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.data.recipe import Recipe, Sequence, Split
from pipeline.data.sources import CACHE_DIR, Raw, load_raw
from pipeline.errors import PedError

SPLITS = ("train", "val", "test")


@dataclass
class Dataset:
    """Examples per split plus what later steps must know (shape, classes, normalisation)."""

    x: dict[str, np.ndarray]  # split -> (N, *input_shape) float32
    y: dict[str, np.ndarray]  # split -> (N,) int64
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.meta["input_shape"])

    @property
    def n_classes(self) -> int:
        return len(self.meta["class_names"])

    def save(self, stem: Path) -> tuple[Path, Path]:
        """Atomically write `<stem>.npz` and `<stem>.json`."""
        arrays = {f"x_{s}": self.x[s] for s in SPLITS} | {f"y_{s}": self.y[s] for s in SPLITS}
        npz = stem.with_suffix(".npz")
        meta = stem.with_suffix(".json")
        _atomic_write(npz, lambda fh: np.savez(fh, **arrays))
        _atomic_write(meta, lambda fh: fh.write(json.dumps(self.meta, indent=2).encode()))
        return npz, meta

    @classmethod
    def load(cls, stem: Path) -> Dataset:
        with np.load(stem.with_suffix(".npz")) as z:
            x = {s: z[f"x_{s}"] for s in SPLITS}
            y = {s: z[f"y_{s}"] for s in SPLITS}
        meta = json.loads(stem.with_suffix(".json").read_text())
        return cls(x, y, meta)


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def split_indices(raw: Raw, split: Split) -> dict[str, np.ndarray]:
    """Recording indices per split. Group split: whole groups; stratified: per class."""
    rng = np.random.default_rng(split.seed)
    n = len(raw.labels)
    if split.method == "group":
        if raw.groups is None:
            raise PedError("split.method = 'group' but this source has no groups",
                           "use method = 'stratified', or give groups with the data")
        groups = np.unique(raw.groups)
        if len(groups) < 3:
            raise PedError(f"a group split needs at least 3 groups, found {len(groups)}",
                           "use method = 'stratified'")
        order = rng.permutation(groups)
        n_test = max(1, round(split.test_fraction * len(groups)))
        n_val = max(1, round(split.val_fraction * len(groups)))
        order = np.roll(order, -split.fold * n_test)  # fold k holds out the k-th block
        held = {"test": order[:n_test], "val": order[n_test:n_test + n_val],
                "train": order[n_test + n_val:]}
        return {s: np.flatnonzero(np.isin(raw.groups, held[s])) for s in SPLITS}
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for c in np.unique(raw.labels):
        idx = rng.permutation(np.flatnonzero(raw.labels == c))
        n_test = max(1, round(split.test_fraction * len(idx)))
        n_val = max(1, round(split.val_fraction * len(idx)))
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test:n_test + n_val])
        parts["train"].append(idx[n_test + n_val:])
    out = {s: np.sort(np.concatenate(parts[s])) for s in SPLITS}
    assert sum(len(v) for v in out.values()) == n
    return out


def cut_examples(recordings: list[np.ndarray], labels: np.ndarray,
                 seq: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Recordings -> fixed-shape examples (and their labels)."""
    if seq.mode == "none":
        return np.stack(recordings).astype(np.float32), labels.copy()
    xs, ys = [], []
    for rec, label in zip(recordings, labels, strict=True):
        if seq.mode == "pad_crop":
            out = np.zeros((seq.length, rec.shape[1]), dtype=np.float32)
            t = min(seq.length, len(rec))
            out[:t] = rec[:t]
            xs.append(out)
            ys.append(label)
        else:  # sliding windows; a recording shorter than one window gives none
            for start in range(0, len(rec) - seq.length + 1, seq.hop):
                xs.append(rec[start:start + seq.length])
                ys.append(label)
    if not xs:
        raise PedError(f"no examples: every recording is shorter than {seq.length} steps",
                       "lower [sequence] length")
    return np.stack(xs).astype(np.float32), np.asarray(ys, dtype=np.int64)


def prepare(recipe: Recipe) -> Dataset:
    """Build the dataset a recipe describes (no cache)."""
    raw = load_raw(recipe.source)
    idx = split_indices(raw, recipe.split)
    x, y = {}, {}
    for s in SPLITS:
        recs = [raw.recordings[i] for i in idx[s]]
        if not recs:
            raise PedError(f"split '{s}' is empty", "lower the other fractions or add data")
        x[s], y[s] = cut_examples(recs, raw.labels[idx[s]], recipe.sequence)
    norm: dict[str, Any] = {"method": recipe.normalise.method}
    if recipe.normalise.method == "per_channel":
        axes = tuple(range(x["train"].ndim - 1))
        mean = x["train"].mean(axis=axes)
        std = x["train"].std(axis=axes)
        std = np.where(std < 1e-8, 1.0, std)
        for s in SPLITS:
            x[s] = ((x[s] - mean) / std).astype(np.float32)
        norm |= {"mean": mean.tolist(), "std": std.tolist(), "stats_from": "train"}
    else:
        for s in SPLITS:
            x[s] = (x[s] / recipe.normalise.scale).astype(np.float32)
        norm |= {"scale": recipe.normalise.scale}
    groups = {s: (sorted({str(g) for g in raw.groups[idx[s]]}) if raw.groups is not None
                  else None) for s in SPLITS}
    meta = {
        "name": recipe.name,
        "kind": recipe.kind,
        "recipe_hash": recipe.content_hash,
        "input_shape": list(x["train"].shape[1:]),
        "class_names": raw.class_names,
        "counts": {s: np.bincount(y[s], minlength=len(raw.class_names)).tolist()
                   for s in SPLITS},
        "groups": groups,
        "normalise": norm,
        "sample_rate_hz": recipe.sample_rate_hz,
        "majority_class": int(np.bincount(y["train"]).argmax()),
    }
    return Dataset(x, y, meta)


def cache_stem(recipe: Recipe) -> Path:
    return CACHE_DIR / f"{recipe.name}-{recipe.content_hash[:16]}"


def load_or_prepare(recipe: Recipe) -> tuple[Dataset, bool]:
    """The cached dataset for this recipe, building it on a miss. Returns (dataset, was_cached)."""
    stem = cache_stem(recipe)
    if stem.with_suffix(".npz").is_file() and stem.with_suffix(".json").is_file():
        return Dataset.load(stem), True
    ds = prepare(recipe)
    ds.save(stem)
    return ds, False
