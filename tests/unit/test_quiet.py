"""pipeline.quiet: what a quiet `ped` keeps off the terminal, and what it must still show."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipeline.quiet import _IMPORT_BANNERS, stderr_without

ROOT = Path(__file__).resolve().parents[2]


def test_caught_stderr_loses_only_the_banner_lines(capfd):
    """C-level writes to fd 2 (as TensorFlow's) are caught; a real error line is written
    back after the block."""
    with stderr_without(_IMPORT_BANNERS):
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are "
                    b"written to STDERR\n")
        os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on. You may see\n")
        os.write(2, b"E0000 something real went wrong\n")
    err = capfd.readouterr().err
    assert err == "E0000 something real went wrong\n"


def test_an_exception_in_the_block_still_writes_back_what_was_caught(capfd):
    try:
        with stderr_without(_IMPORT_BANNERS):
            os.write(2, b"a line before the failure\n")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert capfd.readouterr().err == "a line before the failure\n"


def test_a_quiet_tensorflow_import_prints_no_banner():
    """The first `import tensorflow` after configure(False) prints nothing on stderr (on a
    CPU where TensorFlow's oneDNN banner appears, this is what removes it)."""
    code = ("from pipeline import quiet; quiet.configure(False); import keras; "
            "import tensorflow as tf; print(tf.__version__)")
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL",)}
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stderr == "", res.stderr[:500]
    assert res.stdout.strip().startswith("2.")
