"""Artifact I/O of `ped distill`: progress for resuming, stage files, ensemble.json, metrics.

Layout of `<run>/students/` (contracts in docs/artifacts.md and docs/distill.md):
- `rounds/stage_NN.keras` + `progress.json`: every accepted stage, written the moment it is
  accepted (full model: outputs [logits, feature map]); a rerun with the same config hash
  resumes from them.
- `stage_NN.keras`: the final student k, inputs [x, *earlier maps it reads], outputs
  [tanh logits, *its maps that later stages read], in the order of `ensemble.json`.
- `ensemble.json`, `metrics.json`, `accuracy_vs_macs.png`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json(path: Path, value: Any) -> Path:
    """Atomic JSON write (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(value, fh, indent=2)
    os.replace(tmp, path)
    return path


def load_progress(out_dir: Path, config_hash: str) -> list[dict]:
    """Accepted stage records of an interrupted run with the same config, else []."""
    path = out_dir / "progress.json"
    if not path.is_file():
        return []
    saved = json.loads(path.read_text())
    if saved.get("config_hash") != config_hash:
        return []
    return [s for s in saved["stages"] if (out_dir / "rounds" / s["round_file"]).is_file()]


def save_progress(out_dir: Path, config_hash: str, stages: list[dict]) -> None:
    write_json(out_dir / "progress.json", {"config_hash": config_hash, "stages": stages})


def round_path(out_dir: Path, stage: int) -> Path:
    return out_dir / "rounds" / f"stage_{stage:02d}.keras"


def save_stage_files(out_dir: Path, models: list, reads_by_stage: list[list[tuple[int, int]]]
                     ) -> tuple[list[Path], list[list[dict]]]:
    """Write final `stage_NN.keras`, keeping only feature outputs some later stage reads.

    `reads_by_stage[k]` lists (from_stage, from_output) that stage k+1 reads. Returns the
    paths and each stage's output descriptions."""
    import keras

    read = {ref for refs in reads_by_stage for ref in refs}
    paths, outputs = [], []
    for k, m in enumerate(models, start=1):
        keep = [m.outputs[0]]
        desc: list[dict] = [{"role": "logits"}]
        if (k, 1) in read:
            keep.append(m.outputs[1])
            desc.append({"role": "feature", "name": f"s{k:02d}_f0",
                         "shape": [int(d) for d in m.outputs[1].shape[1:]]})
        final = keras.Model(m.inputs, keep, name=f"stage_{k:02d}")
        path = out_dir / f"stage_{k:02d}.keras"
        final.save(path)
        paths.append(path)
        outputs.append(desc)
    return paths, outputs


def plot(metrics: dict, path: Path) -> Path:
    """Test accuracy vs cumulative MACs for every method, teacher as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for key, label in (("bdistil", "B-DISTIL"), ("resched", "RESCHED"),
                       ("no_resched", "NO-RESCHED")):
        rows = metrics.get(key) or []
        if rows:
            ax.plot([r["cumulative_macs"] for r in rows],
                    [100 * r["test_accuracy"] for r in rows], marker="o", label=label)
    t = metrics["teacher"]
    ax.axhline(100 * t["test_accuracy"], color="k", ls="--",
               label=f"teacher ({t['macs']:,} MACs)")
    ax.set_xscale("log")
    ax.set_xlabel("cumulative MACs of F_k")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{metrics['dataset']}: accuracy vs cost")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
