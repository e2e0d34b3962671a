"""The C firmware tests (firmware/test) on every offline board, through `pio test`.

Each board runs the same scheduler/aggregation tests: deadline before stage 1 (stage 0
answer), deadline mid-stage (partial stage discarded), admission control, battery drop,
early exit on the threshold, stage limit, and every reported stage against the golden vectors
that pipeline/aggregate.py produced. QEMU runs under -icount and the Pico under rp2040js
(simulated time), so their timings are exact; the Pico's battery case drives its real ADC.
microbit-standin is nano33ble's UART0/TIMER1 code on QEMU microbit (no battery there).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fw_golden import HEADER, render

N_CASES = 13


def test_golden_header_is_current() -> None:
    """firmware/fake/golden_agg.h is what pipeline/aggregate.py says today."""
    assert HEADER.read_text() == render(), "run: python tests/firmware/fw_golden.py"


@pytest.mark.slow
@pytest.mark.parametrize("env", ["native", "qemu-m4", "qemu-m3", "pico", "microbit-standin"])
def test_pio_test_passes(platformio_ready: Path, env: str) -> None:
    """`pio test -e ENV --without-uploading` builds with -Werror and every case passes."""
    res = subprocess.run(
        [sys.executable, "-m", "platformio", "test", "-e", env, "--without-uploading"],
        cwd=platformio_ready, capture_output=True, text=True, timeout=240)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert re.search(rf"^PED-TESTS: PASS {env} cases={N_CASES} failed=0", out, re.M), out[-4000:]
    assert len(re.findall(r"^case \S+: PASS", out, re.M)) == N_CASES, out[-4000:]


def _pio_test_with(root: Path, define: str) -> tuple[int, str]:
    env = dict(os.environ, PLATFORMIO_BUILD_FLAGS=f"-D{define}")
    res = subprocess.run(
        [sys.executable, "-m", "platformio", "test", "-e", "qemu-m4", "--without-uploading"],
        cwd=root, capture_output=True, text=True, timeout=240, env=env)
    return res.returncode, res.stdout + res.stderr


@pytest.mark.slow
def test_pio_test_fails_on_a_failing_check(platformio_ready: Path) -> None:
    """A failing check fails the case, the final line and `pio test` (runner not fooled)."""
    rc, out = _pio_test_with(platformio_ready, "PED_TEST_INJECT_FAILURE")
    assert rc != 0, out[-3000:]
    assert "case injected_failure: FAIL" in out
    assert re.search(r"^PED-TESTS: FAIL qemu-m4 cases=14 failed=1", out, re.M), out[-3000:]


@pytest.mark.slow
def test_pio_test_fails_without_the_final_line(platformio_ready: Path) -> None:
    """A program that stops early, even with exit status 0, is an error, not a pass."""
    rc, out = _pio_test_with(platformio_ready, "PED_TEST_INJECT_EARLY_EXIT")
    assert rc != 0, out[-3000:]
    assert "PED-TESTS:" not in out
    assert "ended without a PED-TESTS line" in out, out[-3000:]


@pytest.mark.slow
def test_native_tests_clean_under_valgrind(platformio_ready: Path) -> None:
    """The native test program has no memory errors (valgrind memcheck) and still passes."""
    build = subprocess.run(
        [sys.executable, "-m", "platformio", "test", "-e", "native", "--without-testing"],
        cwd=platformio_ready, capture_output=True, text=True, timeout=240)
    assert build.returncode == 0, build.stdout[-3000:]
    res = subprocess.run(["valgrind", "--error-exitcode=9", "-q",
                          str(platformio_ready / ".pio" / "build" / "native" / "program")],
                         capture_output=True, text=True, timeout=240)
    # Memory errors make valgrind exit 9. The timing cases (deadlines in CPU time) are judged
    # by the plain native run: valgrind slows the code ~50x against the signal timers, so a
    # deadline case may legitimately fail here; every case must still run to the end.
    assert res.returncode != 9 and "ERROR SUMMARY" not in res.stderr, res.stderr[-3000:]
    assert f"cases={N_CASES}" in res.stdout, res.stdout[-2000:]
