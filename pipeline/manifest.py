"""The run directory `build/<dataset>/` and its `manifest.json`.

Each step records the hashes of its inputs, the files it produced (with their sha256), the
versions of the packages it used and the seconds it took. `run_step` skips a step whose input
hashes are unchanged and whose recorded outputs are still on disk with the same content;
`force=True` re-runs it. The manifest is rewritten atomically after every step, so an
interrupted run keeps the steps that finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline.data.recipe import REPO_ROOT

DEFAULT_BUILD_DIR = REPO_ROOT / "build"
TRACKED_PACKAGES = ("ped", "numpy", "tensorflow-cpu", "keras", "ai-edge-litert", "tflite-micro")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_json(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def code_hash(*modules: str) -> str:
    """sha256 over the source of the named modules: a step re-runs when its code changes."""
    import importlib

    h = hashlib.sha256()
    for name in sorted(modules):
        mod = importlib.import_module(name)
        h.update(Path(mod.__file__).read_bytes())
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    out = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class RunDir:
    """`build/<dataset>/`: every artifact of one dataset's pipeline run."""

    root: Path

    @classmethod
    def for_dataset(cls, dataset: str, build_dir: Path | None = None) -> RunDir:
        return cls((build_dir or DEFAULT_BUILD_DIR) / dataset)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest(self) -> dict[str, Any]:
        if self.manifest_path.is_file():
            return json.loads(self.manifest_path.read_text())
        return {"steps": {}}

    def record(self, step: str, entry: dict[str, Any]) -> None:
        m = self.manifest()
        m["steps"][step] = entry
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".manifest.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(m, fh, indent=2, sort_keys=True)
        os.replace(tmp, self.manifest_path)

    def step(self, name: str) -> dict[str, Any] | None:
        return self.manifest()["steps"].get(name)

    def output_hash(self, step: str, relpath: str) -> str:
        """The recorded sha256 of one output of a finished step (an input hash for the next)."""
        entry = self.step(step)
        if entry is None or relpath not in entry["outputs"]:
            raise KeyError(f"{step} has not produced {relpath}")
        return entry["outputs"][relpath]


@dataclass
class StepResult:
    name: str
    skipped: bool
    seconds: float
    entry: dict[str, Any]


def is_up_to_date(run: RunDir, name: str, inputs: dict[str, str]) -> bool:
    entry = run.step(name)
    if entry is None or entry.get("inputs") != inputs:
        return False
    for rel, digest in entry["outputs"].items():
        p = run.path(rel)
        if not p.is_file() or sha256_file(p) != digest:
            return False
    return True


def run_step(run: RunDir, name: str, inputs: dict[str, str],
             produce: Callable[[], list[Path] | tuple[list[Path], dict[str, Any]]],
             force: bool = False, log: Callable[[str], None] = print) -> StepResult:
    """Run `produce` unless the step is up to date; record its outputs in the manifest.

    `inputs` maps a name to a content hash (files, recipe, parameters). `produce` returns the
    output files (inside the run directory), optionally with extra facts to record.
    """
    if not force and is_up_to_date(run, name, inputs):
        log(f"[dim]{name}: up to date, skipped (--force re-runs it)[/dim]")
        return StepResult(name, True, 0.0, run.step(name) or {})
    t0 = time.monotonic()
    produced = produce()
    files, extra = (produced if isinstance(produced, tuple) else (produced, {}))
    seconds = time.monotonic() - t0
    entry = {
        "inputs": inputs,
        "outputs": {str(p.relative_to(run.root)): sha256_file(p) for p in files},
        "versions": package_versions(),
        "seconds": round(seconds, 3),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    } | extra
    run.record(name, entry)
    log(f"{name}: done in {seconds:.1f} s")
    return StepResult(name, False, seconds, entry)
