"""Dataset loaders and preparation: shapes, subject-disjoint splits, train-only statistics."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pipeline.data.prepare import cut_examples, prepare, split_indices
from pipeline.data.recipe import Recipe, Sequence, load_recipe
from pipeline.data.sources import load_raw
from pipeline.errors import PedError


@pytest.fixture(scope="module")
def watch():
    return prepare(load_recipe("watch"))


def test_watch_shapes_and_classes(watch):
    assert watch.input_shape == (100, 6)
    assert watch.n_classes == 7
    for s in ("train", "val", "test"):
        assert watch.x[s].dtype == np.float32
        assert len(watch.x[s]) == len(watch.y[s]) > 0
        assert set(np.unique(watch.y[s])) <= set(range(7))


def test_watch_split_is_subject_disjoint(watch):
    g = watch.meta["groups"]
    train, val, test = set(g["train"]), set(g["val"]), set(g["test"])
    assert train and val and test
    assert not (train & val) and not (train & test) and not (val & test)
    assert len(train | val | test) == 10  # every subject is used


def test_folds_hold_out_different_subjects():
    recipe = load_recipe("watch")
    raw = load_raw(recipe.source)
    held = []
    for fold in range(3):
        idx = split_indices(raw, replace(recipe.split, fold=fold))
        held.append(frozenset(raw.groups[idx["test"]].tolist()))
    assert len(set(held)) == 3


def test_normalisation_uses_train_statistics_only(watch):
    # Train is standardised exactly; val/test use train's statistics, so they are not.
    axes = (0, 1)
    np.testing.assert_allclose(watch.x["train"].mean(axis=axes), 0, atol=1e-4)
    np.testing.assert_allclose(watch.x["train"].std(axis=axes), 1, atol=1e-3)
    assert np.abs(watch.x["test"].mean(axis=axes)).max() > 1e-3
    # The recorded statistics reproduce the raw train windows' statistics.
    recipe = load_recipe("watch")
    raw = load_raw(recipe.source)
    idx = split_indices(raw, recipe.split)
    xr, _ = cut_examples([raw.recordings[i] for i in idx["train"]], raw.labels[idx["train"]],
                         recipe.sequence)
    np.testing.assert_allclose(watch.meta["normalise"]["mean"], xr.mean(axis=axes), rtol=1e-4)


def test_sliding_windows_never_cross_recordings():
    recs = [np.arange(10, dtype=np.float32)[:, None], 100 + np.arange(7, dtype=np.float32)[:, None]]
    x, y = cut_examples(recs, np.array([0, 1]), Sequence(mode="sliding", length=4, hop=3))
    assert x.shape == (3 + 2, 4, 1)
    assert y.tolist() == [0, 0, 0, 1, 1]
    for w in x[:, :, 0]:
        assert np.all(np.diff(w) == 1)  # contiguous samples of one recording


def test_pad_crop_gives_fixed_length():
    recs = [np.ones((3, 2), np.float32), np.ones((9, 2), np.float32)]
    x, _ = cut_examples(recs, np.array([0, 1]), Sequence(mode="pad_crop", length=5))
    assert x.shape == (2, 5, 2)
    assert x[0, 3:].sum() == 0 and x[1].sum() == 10


@pytest.mark.parametrize("name,shape,n_classes", [
    ("digits", (8, 8, 1), 10),
    ("mnist5k", (28, 28, 1), 10),
    ("fsdd", (40, 13), 10),
])
def test_loader_shapes(name, shape, n_classes):
    ds = prepare(load_recipe(name))
    assert ds.input_shape == shape
    assert ds.n_classes == n_classes
    total = sum(len(ds.y[s]) for s in ("train", "val", "test"))
    assert total == {"digits": 1797, "mnist5k": 5000, "fsdd": 3000}[name]
    # stratified: every class in every split
    for s in ("train", "val", "test"):
        assert len(np.unique(ds.y[s])) == n_classes


def test_unknown_recipe_names_the_known_ones():
    with pytest.raises(PedError) as err:
        load_recipe("nope")
    assert "watch" in err.value.fix


def test_recipe_rejects_unknown_keys():
    with pytest.raises(PedError, match="unknown key 'windw'"):
        Recipe.from_dict({"name": "x", "kind": "image", "source": {"loader": "npz"},
                          "windw": {}})
