"""Manifest skip/force logic: a step re-runs only when its inputs or outputs changed."""

from __future__ import annotations

import json

import pytest

from pipeline.manifest import RunDir, run_step


def _step(run: RunDir, inputs: dict, calls: list, force=False, content="v1"):
    def produce():
        calls.append(1)
        out = run.path("out", "thing.txt")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(content)
        return [out]

    return run_step(run, "thing", inputs, produce, force=force, log=lambda _: None)


def test_skip_when_unchanged_and_force_reruns(tmp_path):
    run, calls = RunDir(tmp_path / "ds"), []
    assert not _step(run, {"a": "1"}, calls).skipped
    assert _step(run, {"a": "1"}, calls).skipped
    assert len(calls) == 1
    assert not _step(run, {"a": "1"}, calls, force=True).skipped
    assert len(calls) == 2


def test_changed_input_reruns(tmp_path):
    run, calls = RunDir(tmp_path / "ds"), []
    _step(run, {"a": "1"}, calls)
    assert not _step(run, {"a": "2"}, calls).skipped
    assert len(calls) == 2


def test_deleted_or_edited_output_reruns(tmp_path):
    run, calls = RunDir(tmp_path / "ds"), []
    _step(run, {"a": "1"}, calls)
    run.path("out", "thing.txt").unlink()
    assert not _step(run, {"a": "1"}, calls).skipped
    run.path("out", "thing.txt").write_text("tampered")
    assert not _step(run, {"a": "1"}, calls).skipped
    assert len(calls) == 3


def test_manifest_records_hashes_versions_and_time(tmp_path):
    run, calls = RunDir(tmp_path / "ds"), []
    _step(run, {"a": "1"}, calls)
    entry = json.loads(run.manifest_path.read_text())["steps"]["thing"]
    assert entry["inputs"] == {"a": "1"}
    assert list(entry["outputs"]) == ["out/thing.txt"]
    assert len(entry["outputs"]["out/thing.txt"]) == 64
    assert "numpy" in entry["versions"] and entry["seconds"] >= 0


def test_failed_step_keeps_earlier_steps(tmp_path):
    run, calls = RunDir(tmp_path / "ds"), []
    _step(run, {"a": "1"}, calls)

    def boom():
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        run_step(run, "later", {}, boom, log=lambda _: None)
    steps = json.loads(run.manifest_path.read_text())["steps"]
    assert "thing" in steps and "later" not in steps
