"""A teacher on `digits` trains in seconds, far above chance, and the step is skipped after."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main


@pytest.mark.slow
def test_digits_teacher_trains_and_is_skipped_next_time(build_dir, capsys):
    rc = main(["teacher", "-d", "digits", "--epochs", "12", "--build-dir", str(build_dir),
               "--no-progress"])
    assert rc == 0
    metrics = json.loads((build_dir / "digits" / "teacher" / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.85  # chance is 0.10
    assert metrics["macs"] > 0 and metrics["params"] > 0
    for f in ("model.keras", "logits.npz"):
        assert (build_dir / "digits" / "teacher" / f).is_file()
    capsys.readouterr()
    assert main(["teacher", "-d", "digits", "--epochs", "12", "--build-dir", str(build_dir),
                 "--no-progress"]) == 0
    out = capsys.readouterr().err
    assert "teacher: up to date, skipped" in out and "data: up to date, skipped" in out
    manifest = json.loads((build_dir / "digits" / "manifest.json").read_text())
    assert set(manifest["steps"]) >= {"data", "teacher"}
