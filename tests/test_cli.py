"""The CLI: help lists working subcommands; errors are one line plus the fix."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.cli import build_parser, main


def test_help_lists_subcommands():
    text = build_parser().format_help()
    for cmd in ("data", "teacher", "run"):
        assert cmd in text


def test_error_is_one_line_with_fix(capsys):
    assert main(["teacher", "-d", "no_such_dataset"]) == 2
    err = capsys.readouterr().err
    assert "error: no dataset named 'no_such_dataset'" in err
    assert "fix:" in err and "Traceback" not in err


def test_debug_shows_traceback():
    from pipeline.errors import PedError

    with pytest.raises(PedError):
        main(["--debug", "teacher", "-d", "no_such_dataset"])


def test_console_script_runs():
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "usage: ped" in done.stdout


@pytest.mark.parametrize("cmd", ["distill", "run"])
def test_distill_knobs_reach_the_config(cmd):
    """What `ped distill` and `ped run` say of B-DISTIL lands in its DistillConfig; what they
    leave out keeps the default."""
    from pipeline.cli import _distill_config
    from pipeline.distill.bdistil import DistillConfig

    args = build_parser().parse_args([cmd, "-d", "digits", "--small-seeds", "2", "--gain-on",
                                      "labels", "--stages", "3", "--monotone-z", "1.5",
                                      "--no-joint-last", "--min-z", "2"])
    cfg = _distill_config(args)
    assert (cfg.small_seeds, cfg.gain_on, cfg.stages) == (2, "labels", 3)
    assert (cfg.monotone_z, cfg.joint_last, cfg.min_z) == (1.5, False, 2.0)
    on = _distill_config(build_parser().parse_args([cmd, "-d", "digits", "--joint-last"]))
    assert on.joint_last is True and on.monotone_z == DistillConfig.monotone_z
    assert cfg.fresh_reads == DistillConfig.fresh_reads and on.min_z == DistillConfig.min_z
