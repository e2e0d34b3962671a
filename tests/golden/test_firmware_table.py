"""The generated `ped_model` table as the firmware sees it, built with ASan + UBSan: the stage
table, the bundle hash, an arena of exactly PED_MODEL_ARENA_BYTES (no access outside it)."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from pipeline.aggregate import AggregationPlan
from pipeline.codegen import generate
from pipeline.codegen.native import CFLAGS, INCLUDE_DIR, kernel_sources
from pipeline.codegen.reader import read_model

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "ped_model.h"
int main(void) {
    uint8_t *arena = malloc(PED_MODEL_ARENA_BYTES);   /* host harness only: exact size for ASan */
    int8_t *x = malloc(PED_INPUT_LEN);
    int8_t logits[PED_N_CLASSES];
    volatile uint8_t abort_flag = 0;
    for (uint32_t i = 0; i < PED_INPUT_LEN; ++i) x[i] = (int8_t)(i * 37u);
    printf("%u %u %u %d %u %u\n", ped_model.n_stages, ped_model.n_classes, ped_model.input_len,
           (int)ped_model.input_zero_point, (unsigned)ped_model.arena_bytes,
           ped_model.default_class);
    for (uint16_t k = 0; k < ped_model.n_stages; ++k) {
        const ped_stage_t *s = &ped_model.stages[k];
        int st = s->run(x, arena, logits, &abort_flag);
        printf("%s %d %d %d %u %u\n", s->name, st, (int)s->logit_zero_point,
               (int)s->agg_multiplier, s->n_layers, (unsigned)s->macs);
    }
    for (int i = 0; i < 32; ++i) printf("%02x", ped_model.bundle_hash[i]);
    printf("\n");
    free(arena);
    free(x);
    return 0;
}
"""


@pytest.mark.slow
def test_model_table_under_sanitizers(connection_spec, tmp_path):
    gen = tmp_path / "gen"
    result = generate(connection_spec, gen)
    (tmp_path / "main.c").write_text(HARNESS)
    exe = tmp_path / "fw"
    srcs = [tmp_path / "main.c", *kernel_sources(), *sorted(gen.glob("*.c"))]
    subprocess.run(["gcc", *CFLAGS, "-O1", "-g", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", f"-I{INCLUDE_DIR}", f"-I{gen}",
                    *map(str, srcs), "-o", str(exe), "-lm"], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split("\n")
    models = [read_model(s.tflite) for s in connection_spec.stages]
    x_zp = models[0].tensors[models[0].inputs[0]].zero_point
    assert out[0].split() == ["2", "7", "600", str(x_zp), str(result.arena_bytes), "0"]
    lt = [m.tensors[m.outputs[s.logits_output]]
          for m, s in zip(models, connection_spec.stages, strict=True)]
    agg = AggregationPlan.from_stages([t.scale for t in lt], [t.zero_point for t in lt],
                                      [1.0, 1.0])
    for k, line in enumerate(out[1:3]):
        name, status, zp, mult, n_layers, macs = line.split()
        assert name == f"stage_{k + 1:02d}" and status == "0"
        assert int(zp) == agg.zero_points[k] and int(mult) == agg.multipliers[k]
        assert int(n_layers) == result.stages[k].n_layers and int(macs) == result.stages[k].macs
    expected = hashlib.sha256(b"".join(s.tflite for s in connection_spec.stages)).hexdigest()
    assert out[3] == expected
    # the .tflite arrays are the files, byte for byte
    text = (gen / "stage_01_tflite.c").read_text()
    body = text[text.index("{") + 1:text.index("};")]
    data = bytes(int(v, 16) for v in body.replace("\n", " ").split(",") if v.strip())
    assert data == connection_spec.stages[0].tflite
