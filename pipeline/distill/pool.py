"""Candidate student architectures per input kind, and the Keras model of one student.

A `Candidate` is an architecture (`Arch`) placed at a stage with its wiring: the feature maps
of earlier stages it reads (`FeatureRef`). Every student has the same skeleton:

    x -> [conv(k, w_i, stride s_i) + ReLU6] for each width w_i          (dense for vectors)
      -> (with connections) concat(own map, earlier maps) -> conv(k, w_last) + ReLU6   "mix"
      -> feature map (ReLU6, range [0, 6]: exported to later students)
      -> flatten -> dense(L) -> tanh                                       "logits"

Strides depend only on the input size (halve while the size is above 7 pixels / 16 steps), and
every conv candidate has at least that many blocks, so all students of a run end at the same
resolution and any earlier feature map can be concatenated with any later student's map: the
later student adds depth on top of the earlier one instead of recomputing low-level features.
The output layer starts at zero, so a new stage starts as f_t = 0: the ensemble starts
exactly at F_{t-1} and early stopping can only keep an improvement (with a random start the
val loss began above F_{t-1}'s and later watch stages kept near-random weights, edge ~0).
The head flattens instead of global-average-pooling: a 2-channel map pooled to 2 numbers
cannot separate 10 classes (a first try reached 30% on digits), flattened it keeps the spatial
layout for the price of R*C*L MACs. Keras model: inputs [x, *read maps], outputs
[tanh logits, own feature map]. The stage files keep only the feature outputs some later
stage reads (see ensemble.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KERNEL = {"image": 3, "sequence": 5, "vector": 0}
MIN_SIZE = {"image": 7, "sequence": 16}  # halve the resolution while above this
TAG = {"image": "c2d", "sequence": "c1d", "vector": "mlp"}


@dataclass(frozen=True)
class Arch:
    """Widths of the conv blocks (or hidden dense layers for vectors)."""

    kind: str
    widths: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"{TAG[self.kind]}-" + "-".join(str(w) for w in self.widths)

    def spec(self) -> dict[str, Any]:
        return {"kind": self.kind, "widths": list(self.widths), "kernel": KERNEL[self.kind],
                "activation": "relu6", "head": "flatten-dense-tanh"}


@dataclass(frozen=True)
class FeatureRef:
    """Output `from_output` of stage `from_stage` (1-based): a ReLU6 map of `shape`."""

    from_stage: int
    from_output: int
    shape: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"s{self.from_stage:02d}_f{self.from_output - 1}"

    @property
    def bytes_int8(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class Candidate:
    arch: Arch
    input_shape: tuple[int, ...]
    n_classes: int
    stage: int = 1
    reads: tuple[FeatureRef, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.arch.name + "".join(f"+{r.name}" for r in self.reads)


def strides(kind: str, input_shape: tuple[int, ...], n_blocks: int) -> list[int]:
    size = input_shape[0]
    out = []
    for _ in range(n_blocks):
        s = 2 if size > MIN_SIZE[kind] else 1
        size = -(-size // s)
        out.append(s)
    return out


def min_blocks(kind: str, input_shape: tuple[int, ...]) -> int:
    """Blocks needed to reach the common final resolution (at least 1)."""
    if kind == "vector":
        return 1
    size, n = input_shape[0], 0
    while size > MIN_SIZE[kind]:
        size, n = -(-size // 2), n + 1
    return max(n, 1)


def build_student(c: Candidate):
    """The functional model: inputs [x, *reads] -> outputs [tanh logits, feature map]."""
    import keras
    from keras import layers

    kind = c.arch.kind
    x = keras.Input(shape=c.input_shape, name="x")
    feats = [keras.Input(shape=r.shape, name=r.name) for r in c.reads]
    h = x
    if kind == "vector":
        for i, w in enumerate(c.arch.widths):
            h = layers.Dense(w, activation="relu6", name=f"fc{i}")(h)
    else:
        conv = layers.Conv2D if kind == "image" else layers.Conv1D
        k = KERNEL[kind]
        for i, (w, s) in enumerate(zip(c.arch.widths,
                                       strides(kind, c.input_shape, len(c.arch.widths)),
                                       strict=True)):
            h = conv(w, k, strides=s, padding="same", activation="relu6", name=f"conv{i}")(h)
    if feats:
        h = layers.Concatenate(name="concat")([h, *feats])
        w = c.arch.widths[-1]
        if kind == "vector":
            h = layers.Dense(w, activation="relu6", name="mix")(h)
        else:
            h = conv(w, KERNEL[kind], padding="same", activation="relu6", name="mix")(h)
    feature = layers.Identity(name=f"s{c.stage:02d}_f0")(h)
    h = layers.Flatten(name="flatten")(feature) if kind != "vector" else feature
    u = layers.Dense(c.n_classes, kernel_initializer="zeros", name="dense_out")(h)
    y = layers.Activation("tanh", name="logits")(u)
    return keras.Model([x, *feats], [y, feature], name=f"stage_{c.stage:02d}")


def feature_shape(c: Candidate) -> tuple[int, ...]:
    """Shape of the candidate's exported map (without building a model)."""
    if c.arch.kind == "vector":
        return (c.arch.widths[-1],)
    size = list(c.input_shape[:-1])
    for s in strides(c.arch.kind, c.input_shape, len(c.arch.widths)):
        size = [-(-d // s) for d in size]
    return (*size, c.arch.widths[-1])


def arch_grid(kind: str, input_shape: tuple[int, ...]) -> list[Arch]:
    """Every architecture the pool may hold, before cost filtering."""
    if kind == "vector":
        ws = (4, 8, 12, 16, 24, 32, 48, 64, 96, 128)
        return [Arch(kind, (w,)) for w in ws] + [Arch(kind, (w, w)) for w in ws]
    d = min_blocks(kind, input_shape)
    out = []
    for w in (2, 3, 4, 6, 8, 12, 16, 24, 32, 48):
        deep = tuple([w] + [min(2 * w, 64)] * (d - 1))
        out.append(Arch(kind, deep))
        out.append(Arch(kind, (*deep, min(2 * w, 64))))
    return out


def width_scaled(kind: str, input_shape: tuple[int, ...], width: int) -> Arch:
    """The one-knob family NO-RESCHED uses to hit a target cost: min depth, widths w, 2w."""
    d = min_blocks(kind, input_shape)
    if kind == "vector":
        return Arch(kind, (width, width))
    return Arch(kind, tuple([width] + [2 * width] * (d - 1) + [2 * width]))
