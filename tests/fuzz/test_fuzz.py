"""Fuzz the device's serial input path (frame parser, dispatch, text mode) with libFuzzer.

Bounded: FUZZ_SECONDS of coverage-guided fuzzing with AddressSanitizer and
UndefinedBehaviorSanitizer, seeded with valid frames and text commands. Any crash, leak,
overflow or UB report fails the test. `benchmarks/fuzz.py`-style longer runs: set
PED_FUZZ_SECONDS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline import protocol as P

ROOT = Path(__file__).resolve().parents[2]
FUZZ_SECONDS = int(os.environ.get("PED_FUZZ_SECONDS", "20"))
SOURCES = ["firmware/src/app.c", "firmware/src/eembc.c", "firmware/src/probability.c",
           "firmware/src/protocol.c", "firmware/src/scheduler.c",
           "firmware/src/aggregate.c", "firmware/src/status.c", "firmware/src/trial.c",
           "firmware/fake/fake_stages.c", "firmware/fake/ped_model.c", "tests/fuzz/fuzz_board.c",
           "tests/fuzz/fuzz_app.c"]


def _seeds(corpus: Path) -> None:
    corpus.mkdir()
    seeds = {
        "hello": P.encode(P.Msg.HELLO, 1, P.hello_payload(7)),
        "upload_infer": P.encode(P.Msg.HELLO, 1, P.hello_payload(7))
        + P.encode(P.Msg.INPUT, 2, P.input_payload(0, b"\x05"), 7)
        + P.encode(P.Msg.INFER, 3, P.infer_payload(1000, 2, 5), 7),
        "battery_reset": P.encode(P.Msg.BATTERY, 4, P.battery_payload(50))
        + P.encode(P.Msg.RESET, 5),
        "text": b"name%db load 1%db 05%db print%infer 1 0%results%",
    }
    for name, data in seeds.items():
        (corpus / name).write_bytes(data)


@pytest.mark.slow
def test_fuzz_serial_input_path(tmp_path):
    clang = shutil.which("clang")
    assert clang, "clang is required (scripts/bootstrap.sh installs it)"
    exe = tmp_path / "fuzz_app"
    subprocess.run([clang, "-std=c99", "-g", "-O1", "-fsanitize=fuzzer,address,undefined",
                    "-fno-sanitize-recover=undefined", "-DPED_CPU_HZ=1000000",
                    "-I", str(ROOT / "firmware/include"),
                    "-I", str(ROOT / "firmware/fake"), *[str(ROOT / s) for s in SOURCES],
                    "-o", str(exe)], check=True)
    corpus = tmp_path / "corpus"
    _seeds(corpus)
    run = subprocess.run([str(exe), str(corpus), f"-max_total_time={FUZZ_SECONDS}", "-seed=1",
                          f"-artifact_prefix={tmp_path}/",
                          "-max_len=2048", "-rss_limit_mb=1024"],
                         capture_output=True, text=True, timeout=FUZZ_SECONDS + 120)
    tail = run.stderr[-3000:]
    assert run.returncode == 0, tail
    assert "Done" in tail and "ERROR" not in tail, tail
