"""Custom data (`ped data --from FILE.npz|FILE.csv`): read, validate, refuse clearly.

`.npz`: arrays `X` (N, ...) and `y` (N,), optional `groups` (N,) for a group split.
`.csv`: a header row; a `label` column, an optional `group` column, every other column a
numeric feature. Each row is one sample; `--shape T,C` (or H,W,C) reshapes its features.

X of rank 2 is a vector input, rank 3 (N, T, C) a sequence, rank 4 (N, H, W, C) an image.
Every refusal names the problem and the fix; validation happens before anything is written.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from pipeline.data.sources import Raw, _from_labels
from pipeline.errors import PedError

MIN_PER_CLASS = 5  # at least one example must reach each of train, val and test


def read_custom(path: Path, shape: tuple[int, ...] = (), min_per_class: int = MIN_PER_CLASS) -> Raw:
    if not path.is_file():
        raise PedError(f"{path}: no such file", "give the path of an existing .npz or .csv")
    if path.suffix == ".npz":
        x, y, groups = _read_npz(path)
    elif path.suffix == ".csv":
        x, y, groups = _read_csv(path, shape)
    else:
        raise PedError(f"{path}: unsupported file type '{path.suffix}'",
                       "give a .npz (arrays X, y, optional groups) or a .csv with a label column")
    validate(x, y, groups, str(path), min_per_class)
    raw = _from_labels(list(np.asarray(x, dtype=np.float32)), np.asarray(y), groups)
    return raw


def sniff(head: bytes) -> str:
    """What a file that should be an .npz is, from its first bytes (for the refusal)."""
    if not head:
        return "an empty file (0 bytes)"
    if head.startswith(b"\x93NUMPY"):
        return "a single .npy array, not an .npz archive"
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed data"
    if head.startswith(b"\x89HDF"):
        return "an HDF5 file"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return f"binary data starting {head[:8].hex(' ')}"
    first = text.splitlines()[0] if text.strip() else ""
    if "," in first or ";" in first or "\t" in first:
        return f"text/CSV (first line: {first[:60]!r})"
    return f"text (first line: {first[:60]!r})"


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    with path.open("rb") as fh:
        head = fh.read(512)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # every zip, so every .npz
        what = sniff(head)
        fix = ("rename it to .csv (a header row with a 'label' column)" if "CSV" in what else
               "save the arrays with np.savez(path, X=..., y=..., groups=... optional)")
        raise PedError(f"{path}: not a zip/npz archive: looks like {what}", fix)
    try:
        z = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise PedError(f"{path}: holds object (ragged or pickled) arrays: {exc}",
                       "save X as one numeric array of shape (N, ...) with np.savez") from exc
    except Exception as exc:  # zip or header corruption
        raise PedError(f"{path}: not a readable .npz: {exc}", "re-save it with np.savez") from exc
    with z:
        names = set(z.files)
        for required in ("X", "y"):
            if required not in names:
                raise PedError(
                    f"{path}: array '{required}' is missing (found: {', '.join(sorted(names))})",
                    "save with np.savez(path, X=..., y=..., groups=... optional)",
                )
        try:
            x, y = z["X"], z["y"]
            groups = z["groups"] if "groups" in names else None
        except ValueError as exc:
            raise PedError(f"{path}: X or y is an object (ragged) array",
                           "pad or crop every sample to one shape before saving") from exc
    return x, y, groups


def _read_csv(path: Path, shape: tuple[int, ...]):
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise PedError(f"{path}: empty file", "write a header row and one row per sample")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if "label" not in header:
        raise PedError(f"{path}: no 'label' column (header: {', '.join(header)})",
                       "name the class column 'label'")
    li = header.index("label")
    gi = header.index("group") if "group" in header else None
    feat = [i for i in range(len(header)) if i not in (li, gi)]
    if not feat:
        raise PedError(f"{path}: no feature columns", "add numeric columns beside 'label'")
    x = np.empty((len(body), len(feat)), dtype=np.float64)
    labels, groups = [], []
    for r, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise PedError(f"{path}:{r}: {len(row)} fields, header has {len(header)}",
                           "give every row the same columns as the header (ragged rows)")
        for j, i in enumerate(feat):
            try:
                x[r - 2, j] = float(row[i])
            except ValueError:
                raise PedError(f"{path}:{r}: column '{header[i]}' is not a number: {row[i]!r}",
                               "features must be numeric; put class names in 'label'") from None
        labels.append(row[li].strip())
        if gi is not None:
            groups.append(row[gi].strip())
    y = np.asarray(labels)
    if np.all([_is_int(s) for s in labels]):
        y = y.astype(np.int64)
    if shape:
        if int(np.prod(shape)) != x.shape[1]:
            raise PedError(f"{path}: {x.shape[1]} features do not reshape to {shape}",
                           "give --shape whose product is the number of feature columns")
        x = x.reshape((len(x), *shape))
    return x, y, (np.asarray(groups) if gi is not None else None)


def _is_int(s: str) -> bool:
    try:
        int(s)
    except ValueError:
        return False
    return True


def validate(x: np.ndarray, y: np.ndarray, groups: np.ndarray | None, origin: str,
             min_per_class: int = MIN_PER_CLASS) -> None:
    """Refuse data the pipeline cannot learn from; each message names the fix."""
    if x.dtype == object:
        raise PedError(f"{origin}: X is ragged (an object array)",
                       "pad or crop every sample to one shape")
    if not np.issubdtype(x.dtype, np.number):
        raise PedError(f"{origin}: X has dtype {x.dtype}, not numeric", "store X as float32")
    if x.ndim not in (2, 3, 4):
        raise PedError(
            f"{origin}: X has rank {x.ndim} (shape {x.shape}); expected (N, F), (N, T, C) "
            "or (N, H, W, C)",
            "reshape X: vectors (N, F), sequences (N, T, C), images (N, H, W, C)",
        )
    if y.ndim != 1 or len(y) != len(x):
        raise PedError(f"{origin}: y has shape {y.shape} but X has {len(x)} samples",
                       "give one label per sample, as a 1-D array")
    bad = ~np.isfinite(x.astype(np.float64))
    if bad.any():
        first = int(np.argwhere(bad.reshape(len(x), -1).any(axis=1))[0, 0])
        raise PedError(f"{origin}: X holds {int(bad.sum())} NaN/inf values (first in sample "
                       f"{first})", "drop or impute those samples before export")
    if y.dtype == object or y.dtype.kind in "fcb":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            pass  # whole-number floats are accepted as integer labels
        else:
            raise PedError(f"{origin}: labels have dtype {y.dtype}; they must be integers or "
                           "strings", "store y as int64 class ids or as class-name strings")
    if groups is not None and len(groups) != len(x):
        raise PedError(f"{origin}: groups has {len(groups)} entries for {len(x)} samples",
                       "give one group id per sample, or leave groups out")
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise PedError(f"{origin}: only one class ({classes[0]!r})", "give at least two classes")
    few = [(c, n) for c, n in zip(classes, counts, strict=True) if n < min_per_class]
    if few:
        listing = ", ".join(f"{c!r}: {n}" for c, n in few)
        raise PedError(f"{origin}: classes with fewer than {min_per_class} samples: {listing}",
                       f"collect at least {min_per_class} samples per class, or drop those classes")
