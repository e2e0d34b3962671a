"""A tiny hand-wired two-stage ensemble on `digits`, independent of B-DISTIL.

Stage 1: x -> conv (ReLU6 feature map, exported) -> flatten -> dense logits.
Stage 2: [x, stage 1's feature map] -> conv(x) + 1x1 conv(feature) -> max pool -> flatten
-> dense logits.
Written in the run-directory format `ped distill` produces (students/ensemble.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pipeline.data.prepare import prepare
from pipeline.data.recipe import load_recipe


def build_tiny_ensemble(out_dir: Path, epochs: int = 3, concat: bool = False,
                        solo_third: bool = False):
    """`concat=True` wires stage 2 as concat(conv(x), feature) instead of an ADD.
    `solo_third=True` adds a stage 3 that reads no earlier map (x -> conv -> flatten ->
    dense), as a `fresh_reads = "none"` stage of B-DISTIL is wired."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    ds = prepare(load_recipe("digits"))
    x = keras.Input((8, 8, 1), name="x")
    f1 = layers.Conv2D(8, 3, padding="same", name="s1_conv")(x)
    f1 = layers.ReLU(6.0, name="s1_feat")(f1)
    h = layers.Flatten(name="s1_flat")(f1)
    s1 = keras.Model(x, [layers.Dense(10, name="s1_logits")(h), f1], name="stage_01")

    x2 = keras.Input((8, 8, 1), name="x")
    fin = keras.Input((8, 8, 8), name="s01_f0")
    h = layers.Conv2D(8, 3, padding="same", name="s2_conv")(x2)
    if concat:  # the feature enters a CONCATENATION directly: one scale for both inputs
        h = layers.Concatenate(name="s2_cat")([layers.ReLU(6.0, name="s2_r6")(h), fin])
        h = layers.Conv2D(8, 1, activation="relu", name="s2_mix")(h)
    else:
        g = layers.Conv2D(8, 1, name="s2_proj")(fin)
        h = layers.ReLU(name="s2_relu")(layers.Add(name="s2_add")([h, g]))
    h = layers.MaxPooling2D(2, name="s2_pool")(h)
    h = layers.Flatten(name="s2_flat")(h)
    s2 = keras.Model([x2, fin], layers.Dense(10, name="s2_logits")(h), name="stage_02")

    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_s1 = keras.Model(x, s1.outputs[0])
    train_s1.compile("adam", ce)
    train_s1.fit(ds.x["train"], ds.y["train"], epochs=epochs, verbose=0)
    feats = s1.predict(ds.x["train"], verbose=0)[1]
    s2.compile("adam", ce)
    s2.fit([ds.x["train"], feats], ds.y["train"], epochs=epochs, verbose=0)

    out_dir.mkdir(parents=True, exist_ok=True)
    s1.save(out_dir / "stage_01.keras")
    s2.save(out_dir / "stage_02.keras")
    ensemble = {"stages": [
        {"inputs": [{"role": "x"}],
         "outputs": [{"role": "logits"}, {"role": "feature", "name": "s01_f0",
                                          "shape": [8, 8, 8]}],
         "agg_weight": 1.0, "cost": {"macs": 8 * 8 * 8 * 9 + 5120}},
        {"inputs": [{"role": "x"}, {"role": "feature", "from_stage": 1, "from_output": 1}],
         "outputs": [{"role": "logits"}],
         "agg_weight": 0.5, "cost": {"macs": 8 * 8 * 8 * 17 + 1280}},
    ]}
    models = [s1, s2]
    if solo_third:
        x3 = keras.Input((8, 8, 1), name="x")
        h = layers.ReLU(6.0, name="s3_feat")(layers.Conv2D(4, 3, padding="same",
                                                            name="s3_conv")(x3))
        s3 = keras.Model(x3, layers.Dense(10, name="s3_logits")(layers.Flatten(name="s3_flat")(h)),
                         name="stage_03")
        s3.compile("adam", ce)
        s3.fit(ds.x["train"], ds.y["train"], epochs=epochs, verbose=0)
        s3.save(out_dir / "stage_03.keras")
        ensemble["stages"].append({"inputs": [{"role": "x"}], "outputs": [{"role": "logits"}],
                                   "agg_weight": 0.5, "cost": {"macs": 8 * 8 * 4 * 9 + 2560}})
        models.append(s3)
    (out_dir / "ensemble.json").write_text(json.dumps(ensemble, indent=2))
    return ds, models


def float_stage_logits(models, ds, split="test") -> list[np.ndarray]:
    o1 = models[0].predict(ds.x[split], verbose=0)
    o2 = models[1].predict([ds.x[split], o1[1]], verbose=0)
    return [o1[0], o2]
