"""Int8 export: connections pass as int8 exactly, aggregation is exact, refusals name the layer."""

from __future__ import annotations

import numpy as np
import pytest
from ensemble_fixture import build_tiny_ensemble, float_stage_logits

from pipeline.aggregate import M_MAX, decide, run_ensemble
from pipeline.errors import PedError
from pipeline.quantize import aggregation_plan, quantize_ensemble
from pipeline.quantize.convert import check_model, convert_int8, io_quant
from pipeline.quantize.evaluate import evaluate, int8_outputs


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("students")
    ds, models = build_tiny_ensemble(d)
    stages = quantize_ensemble(d, ds.x["train"])
    return ds, models, stages


def test_connection_and_input_quantization_are_identical(tiny):
    _, _, stages = tiny
    s1_in, s1_out = io_quant(stages[0].tflite)
    s2_in, _ = io_quant(stages[1].tflite)
    assert s2_in[0] == s1_in[0]  # one quantization of x for the whole ensemble
    assert s2_in[1] == s1_out[1]  # the feature map passes as int8 bytes, untouched
    # and the stage table records the same numbers codegen will read
    quant = ("scale", "zero_point")
    assert [stages[1].inputs[1][k] for k in quant] == [stages[0].outputs[1][k] for k in quant]
    assert [stages[1].inputs[0][k] for k in quant] == [stages[0].inputs[0][k] for k in quant]


def test_tensor_order_is_documented_order(tiny):
    _, _, stages = tiny
    assert [o["role"] for o in stages[0].outputs] == ["logits", "feature"]
    assert [i["role"] for i in stages[1].inputs] == ["x", "feature"]
    from tflite_micro import runtime as tflm_runtime

    it = tflm_runtime.Interpreter.from_bytes(stages[0].tflite, arena_size=64 * 1024)
    assert tuple(it.get_output_details(0)["shape"]) == (1, 10)
    assert tuple(it.get_output_details(1)["shape"]) == (1, 8, 8, 8)


def test_int8_ensemble_tracks_float(tiny):
    ds, models, stages = tiny
    res = evaluate(stages, float_stage_logits(models, ds), ds.x["test"], ds.y["test"])
    assert res["float"][1] > 0.5  # a trained ensemble, far above chance (0.1)
    for k in range(2):
        assert abs(res["drop_tflm_vs_float"][k]) < 0.05
        assert res["litert_ref_vs_tflm_diff_elements"][k] <= 0.01 * res["int8_output_elements"][k]


def test_fixed_point_aggregation_error_bound_and_argmax(tiny):
    ds, _, stages = tiny
    _, outs = int8_outputs(stages, ds.x["test"], "tflm")
    plan = aggregation_plan(stages)
    assert max(plan.multipliers) == M_MAX
    accs = run_ensemble([o[0] for o in outs], plan)
    float_sum = np.zeros(accs[0].shape)
    for k, s in enumerate(stages):
        q, z, sc = outs[k][0].astype(np.float64), s.outputs[0]["zero_point"], s.outputs[0]["scale"]
        float_sum += s.agg_weight * sc * (q - z)
        err = np.abs(plan.acc_scale * accs[k] - float_sum)
        assert err.max() <= (k + 1) * plan.acc_scale / 2 * 255
        # argmax agrees wherever the float reference has a clear winner
        top2 = np.sort(float_sum, axis=1)[:, -2:]
        clear = (top2[:, 1] - top2[:, 0]) > 2 * (k + 1) * plan.acc_scale * 255
        assert np.array_equal(decide(accs[k])[0][clear], float_sum.argmax(1)[clear])


def test_unsupported_op_is_refused_with_its_name(tiny):
    _, _, stages = tiny
    with pytest.raises(PedError, match=r"op \d+ RESHAPE .* not in the firmware's kernel set"):
        check_model(stages[0].tflite, "stage_01", frozenset({"CONV_2D", "FULLY_CONNECTED"}))


def test_layer_without_int8_builtin_is_refused_with_its_name():
    import keras
    import tensorflow as tf

    x = keras.Input((8,), name="x")
    h = keras.layers.Lambda(lambda t: tf.math.cumsum(t, axis=-1), name="cumsum_layer")(x)
    m = keras.Model(x, keras.layers.Dense(3)(h), name="student_model")
    rep = [[np.random.default_rng(i).normal(size=(1, 8)).astype(np.float32)] for i in range(8)]
    with pytest.raises(PedError) as err:
        tfl = convert_int8(m, rep)
        check_model(tfl, "stage_07", None)
    # the stage, the op and the Keras layer it came from, not the conversions around it
    assert err.value.problem.startswith("stage_07: op 1 CUMSUM"), err.value.problem
    assert "cumsum_layer" in err.value.problem, err.value.problem


@pytest.mark.slow  # trains and converts a second ensemble
def test_connection_into_a_concatenation_repins_the_producer(tmp_path):
    ds, models = build_tiny_ensemble(tmp_path, epochs=1, concat=True)
    stages = quantize_ensemble(tmp_path, ds.x["train"])
    _, s1_out = io_quant(stages[0].tflite)
    s2_in, _ = io_quant(stages[1].tflite)
    assert s2_in[1] == s1_out[1]  # exact: stage 1 now requantizes to stage 2's scale
    quant = ("scale", "zero_point")  # and the stage table records the re-pinned output
    assert [stages[1].inputs[1][k] for k in quant] == [stages[0].outputs[1][k] for k in quant]
    res = evaluate(stages, float_stage_logits(models, ds), ds.x["test"], ds.y["test"])
    assert abs(res["drop_tflm_vs_float"][1]) < 0.05
    assert abs(res["drop_tflm_vs_float"][0]) < 0.05  # the re-pinned producer's bias follows
