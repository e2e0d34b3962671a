"""Trial recordings from CSV, and the SQLite accounting check on hand-made records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline import protocol as P
from pipeline.errors import PedError
from pipeline.harness.trial import TrialStore, check_accounting
from pipeline.trial import load_csv


def test_csv_windows_per_row_with_labels(tmp_path: Path):
    f = tmp_path / "rec.csv"
    f.write_text("a,b,c,label\n1,2,3,0\n-200,5,300,2\n")
    x, y = load_csv(f, 3)
    assert x.dtype == np.int8 and x.tolist() == [[1, 2, 3], [-128, 5, 127]]
    assert y.tolist() == [0, 2]


def test_csv_samples_are_cut_into_windows(tmp_path: Path):
    f = tmp_path / "rec.csv"
    f.write_text("\n".join(f"{i},{-i}" for i in range(10)))
    x, y = load_csv(f, 4)
    assert x.shape == (5, 4) and y is None
    with pytest.raises(PedError, match="less than one window"):
        load_csv(f, 100)


def _rec(seq: int, kind: P.RecordKind = P.RecordKind.WINDOW, count: int = 1):
    return P.TrialRecord(seq, kind, 0, seq, 1, 0, 0, 0, 1000, 0, count)


def test_accounting_sees_gaps_duplicates_and_overflow_ranges(tmp_path: Path):
    db = tmp_path / "t.sqlite"
    store = TrialStore(db)
    store.commit([_rec(0), _rec(1), _rec(2, P.RecordKind.OVERFLOW, 3), _rec(5)], None, {})
    assert store.next_seq() == 6
    store.commit([_rec(7)], None, {})
    store.close()
    acct = check_accounting(db)
    assert acct["missing"] == [6] and acct["duplicated"] == [] and acct["overflow_dropped"] == 3
