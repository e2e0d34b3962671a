"""The codegen input: an ordered bundle of stage models (read from `tflite/stages.json`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PedError


@dataclass(frozen=True)
class StageSpec:
    """One student. Indices are the model's own input/output order (as the interpreter
    reports them). `feature_inputs[i]` is None for the one input that is x, else
    (from_stage, from_output) with from_stage 1-based. Output `logits_output` is the logits,
    every other output a feature tensor."""

    name: str
    tflite: bytes
    feature_inputs: tuple[tuple[int, int] | None, ...] = (None,)
    logits_output: int = 0
    agg_weight: float = 1.0
    macs: int = 0
    cost_cycles: int = 0


@dataclass(frozen=True)
class BundleSpec:
    n_classes: int
    default_class: int
    stages: tuple[StageSpec, ...]
    key: str = "ped"  # model key for benchmark runners (ped_model_t.key), a plain identifier
    # unit of the stages' cost_cycles (the target board's cost unit, pipeline.boards); ""
    # when the costs are estimates, not measured on a board
    cost_unit: str = ""

    @property
    def bundle_hash(self) -> bytes:
        """sha256 over the stage .tflite files, concatenated in stage order."""
        h = hashlib.sha256()
        for s in self.stages:
            h.update(s.tflite)
        return h.digest()

    @classmethod
    def from_stages_json(cls, tflite_dir: Path) -> BundleSpec:
        """Read `stages.json` and the `.tflite` files it names (see docs/artifacts.md)."""
        path = tflite_dir / "stages.json"
        try:
            meta = json.loads(path.read_text())
            stages = []
            for k, st in enumerate(meta["stages"], start=1):
                f = tflite_dir / st["file"]
                if not f.is_file():
                    raise PedError(f"{path} names {st['file']}, which does not exist",
                                   "re-run `ped quantize`")
                feats: list[tuple[int, int] | None] = []
                for i, inp in enumerate(st["inputs"]):
                    if inp["role"] == "x":
                        feats.append(None)
                    elif inp["role"] == "feature":
                        src = (int(inp["from_stage"]), int(inp["from_output"]))
                        if not 1 <= src[0] < k or src[1] < 0:
                            raise PedError(f"{path}: stage {k} input {i} reads stage {src[0]} "
                                           f"output {src[1]}, which is not an earlier feature",
                                           "re-run `ped quantize`")
                        feats.append(src)
                    else:
                        raise PedError(f"{path}: stage {k} input {i} has role {inp['role']!r}",
                                       "re-run `ped quantize`")
                roles = [o["role"] for o in st["outputs"]]
                if roles.count("logits") != 1 or any(r not in ("logits", "feature")
                                                     for r in roles):
                    raise PedError(f"{path}: stage {k} needs exactly one logits output and "
                                   f"features otherwise, got roles {roles}",
                                   "re-run `ped quantize`")
                stages.append(StageSpec(
                    name=f"stage_{k:02d}", tflite=f.read_bytes(), feature_inputs=tuple(feats),
                    logits_output=roles.index("logits"),
                    agg_weight=float(st.get("agg_weight", 1.0)), macs=int(st.get("macs", 0)),
                    cost_cycles=int(st.get("cost_cycles", 0))))
            n_classes, prior = int(meta["n_classes"]), int(meta["default_class"])
            if not 0 <= prior < n_classes:
                raise PedError(f"{path}: default_class {prior} is not one of the "
                               f"{n_classes} classes", "re-run `ped quantize`")
            # the "stage 0" answer: the most frequent training class (docs/artifacts.md)
            return cls(n_classes, prior, tuple(stages))
        except (KeyError, TypeError, ValueError) as exc:
            raise PedError(f"{path} does not follow docs/artifacts.md ({exc!r})",
                           "re-run `ped quantize`") from None
