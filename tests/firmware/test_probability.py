"""firmware/src/probability.c against its Python model (pipeline/probability.py), bit for bit,
on random and extreme accumulators: the C is compiled for the host with a small driver."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipeline.probability import probabilities_milli, probability_scale

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is not installed: run scripts/bootstrap.sh")
    exe = tmp_path_factory.mktemp("prob") / "probability_driver"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1",
                    f"-I{ROOT / 'firmware' / 'include'}",
                    str(ROOT / "firmware" / "src" / "probability.c"),
                    str(ROOT / "tests" / "firmware" / "data" / "probability_driver.c"),
                    "-o", str(exe)], check=True)
    return exe


def _run_c(exe: Path, cases: list[tuple[int, int, np.ndarray]]) -> list[list[int]]:
    text = "".join(f"{m} {s} {len(a)} {' '.join(str(int(v)) for v in a)}\n"
                   for m, s, a in cases)
    out = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True)
    return [[int(v) for v in line.split()] for line in out.stdout.splitlines()]


def test_c_equals_python_bit_for_bit(driver):
    rng = np.random.default_rng(14)
    cases = []
    for scale in (1e-7, 3e-6, 4e-5, 1e-3, 0.05):
        mult, shift = probability_scale(scale)
        for n in (2, 3, 10, 32):
            for spread in (2**8, 2**16, 2**24, 2**31):
                acc = rng.integers(-spread, spread, size=n).clip(-(2**31), 2**31 - 1)
                cases.append((mult, shift, acc))
        cases.append((mult, shift, np.array([2**31 - 1, -(2**31), 0, 5])))
        cases.append((mult, shift, np.full(7, -(2**31))))
    got = _run_c(driver, cases)
    assert len(got) == len(cases)
    for (mult, shift, acc), line in zip(cases, got, strict=True):
        assert line[0] == 1
        assert line[1:] == probabilities_milli(acc, mult, shift).tolist(), (mult, shift, acc)


def test_a_model_without_a_probability_scale_is_refused(driver):
    assert _run_c(driver, [(0, 20, np.array([1, 2, 3])), (20000, 15, np.array([1, 2]))]) == \
        [[0, 0, 0, 0], [0, 0, 0]]


def test_the_table_is_two_to_the_minus_i_sixteenths():
    from pipeline.probability import exp2_table

    assert exp2_table() == tuple(round(2**30 * 2 ** (-i / 16)) for i in range(17))
