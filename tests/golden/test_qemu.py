"""The generated C on an emulated Cortex-M3 (QEMU mps2-an385, no FPU, arm-none-eabi-gcc -O2):
every output of every stage equals the TFLM interpreter's on the host."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipeline.codegen import generate
from pipeline.codegen.compare import tflm_bundle_outputs
from pipeline.codegen.native import INCLUDE_DIR, kernel_sources
from tests.toolchain import arm_library_file, require

HERE = Path(__file__).resolve().parent / "qemu"
M3 = ("-mcpu=cortex-m3", "-mthumb")


def _lcg_input(n: int) -> np.ndarray:
    """The harness's input: x[i] = (s >> 24) of s = s * 1103515245 + 12345 (mod 2^32)."""
    s, out = 12345, []
    for _ in range(n):
        s = (s * 1103515245 + 12345) & 0xFFFFFFFF
        out.append((s >> 24) - 256 if s >> 24 >= 128 else s >> 24)
    return np.array(out, dtype=np.int8)


def _main_c(plan) -> str:
    prints = []
    for k, st in enumerate(plan.stages):
        prints.append(f"    ped_model.stages[{k}].run(x, arena, logits, &abort_flag);")
        for _, kind, off, nbytes in st.outputs:
            src = "logits" if kind == "logits" else f"((const int8_t *)arena + {off})"
            prints.append(f"    dump({src}, {nbytes}u);")
    return "\n".join([
        "#include <stdint.h>", "#include <stdio.h>", '#include "ped_model.h"',
        "static uint8_t arena[PED_MODEL_ARENA_BYTES] PED_ALIGNED16;",
        "static int8_t x[PED_INPUT_LEN];",
        "static void dump(const int8_t *p, uint32_t n) {",
        "    for (uint32_t i = 0; i < n; ++i) printf(\"%d \", p[i]);",
        "    printf(\"\\n\");", "}",
        "int main(void) {",
        "    uint32_t s = 12345u;", "    int8_t logits[PED_N_CLASSES];",
        "    volatile uint8_t abort_flag = 0;",
        "    for (uint32_t i = 0; i < PED_INPUT_LEN; ++i) {",
        "        s = s * 1103515245u + 12345u;", "        x[i] = (int8_t)(s >> 24);", "    }",
        *prints, "    return 0;", "}", ""])


@pytest.mark.slow
def test_connection_bundle_on_cortex_m3(connection_spec, tmp_path):
    require("arm-none-eabi-gcc", "qemu-system-arm")
    crt0 = arm_library_file("rdimon-crt0.o", *M3)
    gen = tmp_path / "gen"
    plan = generate(connection_spec, gen)
    (tmp_path / "main.c").write_text(_main_c(plan))
    elf = tmp_path / "fw.elf"
    srcs = [HERE / "vectors.c", tmp_path / "main.c", *kernel_sources(),
            *(p for p in sorted(gen.glob("*.c")) if "_tflite" not in p.name)]
    subprocess.run(["arm-none-eabi-gcc", *M3, "-O2", "-std=c99",
                    "-Wall", "-Wextra", "-Werror", f"-I{INCLUDE_DIR}", f"-I{gen}",
                    "--specs=rdimon.specs", "-nostartfiles", "-T", str(HERE / "mps2.ld"),
                    "-Wl,--gc-sections", *map(str, srcs), str(crt0),
                    "-o", str(elf)], check=True, capture_output=True, text=True)
    run = subprocess.run(["qemu-system-arm", "-M", "mps2-an385", "-nographic", "-monitor",
                          "none", "-semihosting-config", "enable=on,target=native",
                          "-kernel", str(elf)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = [ln for ln in run.stdout.splitlines() if ln.strip()]
    device = [np.array([int(v) for v in ln.split()], dtype=np.int8) for ln in lines]
    x = _lcg_input(600).reshape(100, 6)
    golden = [a for stage in tflm_bundle_outputs(connection_spec, x) for a in stage]
    assert len(device) == len(golden)
    for d, g in zip(device, golden, strict=True):
        assert d.shape == g.shape and (d == g).all()
