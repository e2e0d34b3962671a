"""Golden checks of the generated C on the emulated boards: the same bundle built for QEMU
mps2-an386 (Cortex-M4F: the DSP kernel path) and mps2-an385 (Cortex-M3: the plain-C path)
with the firmware's flags (pipeline/codegen/cross.py), run on random int8 inputs; every
output compared with the TFLM interpreter on the host. Peripherals used: none but
semihosting output (the kernels touch memory only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.codegen import BundleSpec, generate
from pipeline.codegen.compare import tflm_bundle_outputs
from pipeline.codegen.cross import build_image, run_image
from pipeline.codegen.reader import read_model
from pipeline.firmware_build import get_target
from tests.toolchain import arm_library_file, require

TARGETS = ("qemu-m4", "qemu-m3")


def require_qemu_tools() -> None:
    """Fail (not skip) with the install hint when the cross tools or newlib are missing."""
    require("arm-none-eabi-gcc", "qemu-system-arm")
    for target in TARGETS:
        arm_library_file("rdimon-crt0.o", *get_target(target).cpu_flags)


def _main_c(plan, inputs: np.ndarray) -> str:
    rows = [f"static const int8_t xs[{len(inputs)}][PED_INPUT_LEN] = {{"]
    rows += ["    {" + ", ".join(str(int(v)) for v in x.reshape(-1)) + "}," for x in inputs]
    rows.append("};")
    prints = []
    for k, st in enumerate(plan.stages):
        prints.append(f"        ped_model.stages[{k}].run(xs[i], arena, logits, &abort_flag);")
        for _, kind, off, nbytes in st.outputs:
            src = "logits" if kind == "logits" else f"((const int8_t *)arena + {off})"
            prints.append(f"        dump({src}, {nbytes}u);")
    return "\n".join([
        "#include <stdint.h>", "#include <stdio.h>", '#include "ped_model.h"',
        "static uint8_t arena[PED_MODEL_ARENA_BYTES + 16] PED_ALIGNED16;", *rows,
        "static void dump(const int8_t *p, uint32_t n) {",
        "    for (uint32_t i = 0; i < n; ++i) printf(\"%d \", p[i]);",
        "    printf(\"\\n\");", "}",
        "int main(void) {", "    int8_t logits[PED_N_CLASSES];",
        "    volatile uint8_t abort_flag = 0;",
        f"    for (int i = 0; i < {len(inputs)}; ++i) {{", *prints, "    }",
        "    return 0;", "}", ""])


class QemuGolden:
    """Like conftest.Golden, for the emulated targets: `differing` sums over both."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._n = 0

    @staticmethod
    def single(tflite: bytes) -> BundleSpec:
        from tests.golden.conftest import Golden

        return Golden.single(tflite)

    def differing(self, spec: BundleSpec, n_inputs: int = 3, seed: int = 0,
                  targets: tuple[str, ...] = TARGETS) -> tuple[int, int]:
        require_qemu_tools()
        self._n += 1
        d = self.root / f"q{self._n:04d}"
        plan = generate(spec, d / "gen")
        s0 = spec.stages[0]
        m = read_model(s0.tflite)
        shape = m.tensors[m.inputs[s0.feature_inputs.index(None)]].shape
        rng = np.random.default_rng(seed)
        xs = rng.integers(-128, 128, size=(n_inputs, *shape)).astype(np.int8)
        (d / "main.c").write_text(_main_c(plan, xs))
        golden = [a for x in xs for stage in tflm_bundle_outputs(spec, x) for a in stage]
        bad = total = 0
        for target in targets:
            elf, _, _ = build_image(target, d / "gen", d / "main.c", d, self.root / "kobj")
            lines = [ln for ln in run_image(target, elf, timeout=120).splitlines() if ln.strip()]
            assert len(lines) == len(golden), (target, len(lines), len(golden))
            for ln, g in zip(lines, golden, strict=True):
                dev = np.array([int(v) for v in ln.split()], dtype=np.int8)
                assert dev.shape == g.reshape(-1).shape, target
                bad += int(np.count_nonzero(dev != g.reshape(-1)))
                total += dev.size
        return bad, total
