"""`ped data --from FILE`: every refusal names the problem, and nothing is left behind."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.cli import main
from pipeline.data.custom import read_custom
from pipeline.data.sources import CACHE_DIR
from pipeline.errors import PedError


def _good(n_per_class=8, classes=3, shape=(20, 3)):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(classes), n_per_class)
    x = rng.normal(size=(len(y), *shape)).astype(np.float32) + y.reshape(-1, 1, 1)
    return x, y


def _npz(tmp_path, name="data.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def test_good_npz_imports_with_group_split(tmp_path, capsys):
    x, y = _good()
    groups = np.tile(np.arange(6), 4)
    path = _npz(tmp_path, X=x, y=y, groups=groups)
    rc = main(["data", "--from", str(path), "--name", "mine", "--build-dir", str(tmp_path / "b")])
    assert rc == 0
    out = capsys.readouterr().err
    assert "(20, 3)" in out and "train groups" in out
    assert (tmp_path / "b" / "mine" / "data" / "dataset.npz").is_file()


def test_csv_with_string_labels_and_shape(tmp_path):
    rows = ["label,a,b,c,d"] + [f"{c},{i},{i + 1},{i + 2},{i + 3}" for c in ("up", "down")
                                for i in range(6)]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(rows))
    raw = read_custom(path, (2, 2))
    assert raw.recordings[0].shape == (2, 2)
    assert raw.class_names == ["down", "up"]


@pytest.mark.parametrize("case,match", [
    ("nan", "NaN/inf"),
    ("inf", "NaN/inf"),
    ("rank", "rank 5"),
    ("float_labels", "must be integers or strings"),
    ("few", "fewer than 5 samples"),
    ("missing_y", "array 'y' is missing"),
    ("ragged", "ragged"),
    ("length", "y has shape"),
    ("one_class", "only one class"),
])
def test_npz_refusals(tmp_path, case, match):
    x, y = _good()
    arrays = {"X": x, "y": y}
    if case == "nan":
        x[3, 2, 1] = np.nan
    elif case == "inf":
        x[0, 0, 0] = np.inf
    elif case == "rank":
        arrays["X"] = x.reshape(len(x), 2, 10, 3, 1)
    elif case == "float_labels":
        arrays["y"] = y + 0.5
    elif case == "few":
        arrays = {"X": x[:-5], "y": y[:-5]}
    elif case == "missing_y":
        del arrays["y"]
    elif case == "ragged":
        arrays["X"] = np.array([np.zeros(3), np.zeros(4)] * 12, dtype=object)
    elif case == "length":
        arrays["y"] = y[:-1]
    elif case == "one_class":
        arrays["y"] = np.zeros_like(y)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(PedError, match=match) as err:
        read_custom(path)
    assert err.value.fix  # every refusal says how to fix it


@pytest.mark.parametrize("body,match", [
    ("a,b\n1,2\n", "no 'label' column"),
    ("label,a\n0,1\n1,x\n", "is not a number"),
    ("label,a,b\n0,1\n", "ragged rows"),
])
def test_csv_refusals(tmp_path, body, match):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(PedError, match=match):
        read_custom(path)


def test_refusal_leaves_nothing_behind(tmp_path, capsys):
    x, y = _good()
    x[1, 1, 1] = np.nan
    path = _npz(tmp_path, X=x, y=y)
    before = sorted(CACHE_DIR.glob("*")) if CACHE_DIR.exists() else []
    rc = main(["data", "--from", str(path), "--name", "bad", "--build-dir", str(tmp_path / "b")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "error:" in err and "fix:" in err and "Traceback" not in err
    after = sorted(CACHE_DIR.glob("*")) if CACHE_DIR.exists() else []
    assert before == after
    assert not (tmp_path / "b" / "bad").exists()


@pytest.mark.parametrize("content,match", [
    (b"label,a,b\n0,1,2\n1,3,4\n", r"not a zip/npz archive: looks like text/CSV \(first line: "
                                   r"'label,a,b'\)"),
    (b"", "not a zip/npz archive: looks like an empty file"),
    (b"just some notes\n", "not a zip/npz archive: looks like text"),
    (b"\x1f\x8b\x08\x00rest", "looks like gzip-compressed data"),
    (b"\x80\x04\x95\x10", "looks like a Python pickle"),
    (b"\x00\xff\x13\x37\xde\xad", "looks like binary data starting 00 ff 13 37"),
])
def test_a_file_that_is_not_an_npz_says_what_it_is(tmp_path, content, match):
    path = tmp_path / "data.npz"
    path.write_bytes(content)
    with pytest.raises(PedError, match=match) as err:
        read_custom(path)
    assert "object (ragged or pickled)" not in err.value.problem and err.value.fix


def test_a_single_npy_saved_as_npz_is_named(tmp_path):
    path = tmp_path / "x.npz"
    with path.open("wb") as fh:
        np.save(fh, np.zeros((4, 3)))
    with pytest.raises(PedError, match=r"looks like a single \.npy array") as err:
        read_custom(path)
    assert "np.savez" in err.value.fix
