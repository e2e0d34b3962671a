"""Field trials (docs/protocol.md, TRIAL_*) on native and qemu-m4 with the demo model: a
trial survives a corrupt record, a vanished port, a device reset and a ring overflow with
every sequence number in SQLite exactly once or inside an OVERFLOW record; a draining
battery ends the trial cleanly with its final records saved."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline import protocol as P
from pipeline.firmware_build import PIO_BUILD_DIR
from pipeline.harness import targets
from pipeline.harness.trial import TrialConfig, TrialRunner, check_accounting
from pipeline.trial import trial_report

PROGRAM = {"native": "program", "qemu-m4": "firmware.elf"}
ONE_STAGE_DEADLINE_US = {"native": 60_000, "qemu-m4": 12_000}  # as test_firmware_app.py
RING = 32  # PED_TRIAL_RING


@pytest.fixture(scope="module")
def images(platformio_ready: Path) -> dict[str, Path]:
    for target in PROGRAM:
        res = subprocess.run([sys.executable, "-m", "platformio", "run", "-e", target],
                             cwd=platformio_ready, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stdout[-3000:]
    return {t: PIO_BUILD_DIR / t / p for t, p in PROGRAM.items()}


def _windows(n: int) -> tuple[np.ndarray, np.ndarray]:
    x = (np.arange(n) % 7).astype(np.int8).reshape(n, 1)  # the demo model's 1-byte input
    return x, (np.arange(n) * 3) % 7


def _trial(image: Path, target: str, db: Path, n: int, faults: dict[int, str],
           **kw) -> tuple[object, list[str]]:
    x, y = _windows(n)
    log: list[str] = []
    with targets.running(target, image) as t:
        cfg = TrialConfig(url=t.url, target=target, db_path=db, period_s=0.02, batch=4,
                          timeout=1.0, deadline_us=ONE_STAGE_DEADLINE_US[target], **kw)
        stats = TrialRunner(cfg, x, y, log=log.append, faults=faults).run()
    return stats, log


@pytest.mark.slow
@pytest.mark.parametrize("target", ["native", "qemu-m4"])
def test_nothing_lost_across_corruption_disconnect_reset_and_overflow(images, target, tmp_path):
    # ... then the device's output lost for longer than its ring holds
    faults = {3: "corrupt", 6: "disconnect", 10: "reset", 14: f"deaf:{RING + 6}"}
    n = 14 + RING + 14
    db = tmp_path / "trial.sqlite"
    stats, log = _trial(images[target], target, db, n, faults)
    acct = check_accounting(db)
    assert acct["missing"] == [] and acct["duplicated"] == []
    assert stats.bad_frames >= 1 and stats.resent >= 1   # the corrupt record came again
    assert stats.disconnects == 1 and stats.resets == 1
    con = sqlite3.connect(db)
    rows = con.execute("SELECT seq, kind, count, window, stage, reason, label FROM records "
                       "ORDER BY seq").fetchall()
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    windows = [r[3] for r in rows if r[1] == "window"]
    dropped = sum(r[2] for r in rows if r[1] == "overflow")
    assert dropped >= 6 and stats.overflow_dropped == dropped
    assert sum(r[1] == "overflow" for r in rows) == 1  # one record for the whole run of drops
    assert any("overflowed" in m for m in log)
    # every window of the recording has its record, or was dropped by the overflow
    assert len(set(windows)) == len(windows) and len(windows) + dropped == n
    _, y = _windows(n)
    assert all(r[6] == y[r[3]] for r in rows if r[1] == "window")  # ground truth stored
    assert all((r[4], r[5]) == (1, "admission") for r in rows if r[1] == "window")
    report = trial_report(tmp_path).read_text()
    assert "| 1 |" in report and "missing 0, duplicated 0" in report


@pytest.mark.slow
def test_brown_out_ends_the_trial_with_final_records_saved(images, tmp_path):
    db = tmp_path / "trial.sqlite"
    # one stage (40 ms of CPU) per window: 900 permille gone in about 10 windows
    stats, _ = _trial(images["native"], "native", db, 200, {}, battery=(1000, 2200))
    assert stats.ended == "battery" and stats.windows_sent < 60
    acct = check_accounting(db)
    assert acct["missing"] == [] and acct["duplicated"] == []
    con = sqlite3.connect(db)
    last = con.execute("SELECT kind, reason, battery FROM records ORDER BY seq DESC "
                       "LIMIT 1").fetchone()
    levels = [r[0] for r in con.execute("SELECT battery FROM records ORDER BY seq")]
    assert con.execute("SELECT value FROM meta WHERE key = 'ended'").fetchone()[0] == "battery"
    con.close()
    assert last[0] == "end" and last[2] < 100
    assert levels == sorted(levels, reverse=True) and levels[0] > 800


def test_message_tables_are_single_sourced():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    for m in P.Msg:
        assert f"| {m.value:#04x} | {m.name} |" in doc
    for e in P.ErrorCode:
        assert f"{e.value} {e.name}" in doc
