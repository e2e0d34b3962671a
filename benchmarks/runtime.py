"""Runtime benchmark: our AOT C vs the TFLM interpreter, per model. One command, one table:

    PYTHONPATH=. .venv/bin/python benchmarks/runtime.py [--build-dir build] [--no-callgrind]

Columns: arena bytes (ours = PED_MODEL_ARENA_BYTES / per-stage need; TFLM = smallest arena its
interpreter runs with, found by search), code+weights bytes of our kernels and generated
code (`size` of -Os objects for Cortex-M4, .tflite arrays excluded; the TFLM column is the
.tflite flatbuffer alone, without the interpreter), and instructions per inference counted by
valgrind/callgrind in the same run: ours = the stage functions of a -O2 host build, TFLM =
MicroInterpreter::Invoke() of the tflite-micro Python package. Bit-exactness is rechecked
on a few random inputs. Models: tests/golden/models.py, plus build/<ds>/tflite/stages.json
for digits, watch, fsdd, mnist5k when present. Targets: 0 differing outputs, arena ours <=
TFLM, instructions ours <= 0.7x TFLM.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pipeline.codegen import BundleSpec, CodegenResult, generate  # noqa: E402
from pipeline.codegen.compare import arena_comparison, tflm_bundle_outputs  # noqa: E402
from pipeline.codegen.native import (  # noqa: E402
    CFLAGS,
    INCLUDE_DIR,
    NativeBundle,
    build,
    kernel_sources,
)
from pipeline.codegen.reader import read_model  # noqa: E402

DATASETS = ("digits", "watch", "fsdd", "mnist5k")
HARNESS = r"""
#include <stdint.h>
#include <stdio.h>
#include "ped_model.h"
static uint8_t arena[PED_MODEL_ARENA_BYTES + 16] PED_ALIGNED16;
static int8_t x[PED_INPUT_LEN];
int main(void) {
    uint32_t s = 12345u;
    int8_t logits[PED_N_CLASSES];
    volatile uint8_t abort_flag = 0;
    int check = 0;
    for (uint32_t i = 0; i < PED_INPUT_LEN; ++i) {
        s = s * 1103515245u + 12345u;
        x[i] = (int8_t)(s >> 24);
    }
    for (int rep = 0; rep < REPS; ++rep) {
        for (uint16_t k = 0; k < ped_model.n_stages; ++k) {
            ped_model.stages[k].run(x, arena, logits, &abort_flag);
            check += logits[0];
        }
    }
    printf("%d\n", check);
    return 0;
}
"""
TFLM_SCRIPT = r"""
import sys
import numpy as np
from tflite_micro import runtime
rng = np.random.default_rng(0)
for path in sys.argv[1:]:
    interp = runtime.Interpreter.from_bytes(open(path, "rb").read(), arena_size=1 << 20)
    i = 0
    while True:
        try:
            d = interp.get_input_details(i)
        except Exception:
            break
        interp.set_input(rng.integers(-128, 128, size=d["shape"]).astype(np.int8), i)
        i += 1
    for _ in range(REPS):
        interp.invoke()
"""
REPS = 2


def bundles(build_dir: Path) -> dict[str, BundleSpec]:
    from tests.golden.models import MODELS

    out = {}
    for ds in DATASETS:
        tdir = build_dir / ds / "tflite"
        if (tdir / "stages.json").is_file():
            out[f"{ds} (students)"] = BundleSpec.from_stages_json(tdir)
    for name, make in MODELS.items():
        out[name] = make()
    return out


def bit_exact(nb: NativeBundle, spec: BundleSpec, n: int = 3) -> tuple[int, int]:
    s0 = spec.stages[0]
    m = read_model(s0.tflite)
    shape = m.tensors[m.inputs[s0.feature_inputs.index(None)]].shape
    rng = np.random.default_rng(7)
    bad = total = 0
    for _ in range(n):
        x = rng.integers(-128, 128, size=shape).astype(np.int8)
        for so, sr in zip(nb.run(x), tflm_bundle_outputs(spec, x), strict=True):
            for a, b in zip(so, sr, strict=True):
                bad += int(np.count_nonzero(a != b))
                total += a.size
    return bad, total


def code_bytes(gen: Path | None, work: Path) -> int | None:
    """text+data of -Os Cortex-M4 objects: all kernels + generated code, .tflite excluded
    (gen None: the kernel library alone)."""
    cc = shutil.which("arm-none-eabi-gcc")
    size = shutil.which("arm-none-eabi-size")
    if cc is None or size is None:
        return None
    work.mkdir(parents=True, exist_ok=True)
    objs = []
    srcs = kernel_sources() + ([p for p in sorted(gen.glob("*.c")) if "_tflite" not in p.name]
                               if gen is not None else [])
    for src in srcs:
        obj = work / f"m4-{src.stem}.o"
        subprocess.run([cc, "-mcpu=cortex-m4", "-mthumb", "-Os", "-std=c99", "-DNDEBUG",
                        "-ffunction-sections", "-fdata-sections", f"-I{INCLUDE_DIR}",
                        *([f"-I{gen}"] if gen is not None else []), "-c", str(src), "-o",
                        str(obj)], check=True)
        objs.append(str(obj))
    out = subprocess.run([size, "-t", *objs], check=True, capture_output=True, text=True).stdout
    text, data = out.strip().splitlines()[-1].split()[:2]
    return int(text) + int(data)


def _callgrind_totals(files: list[Path]) -> list[int]:
    totals = []
    for f in files:
        m = re.search(r"^(?:totals|summary):\s+(\d+)", f.read_text(), re.M)
        totals.append(int(m.group(1)) if m else 0)
    return totals


def ours_instructions(gen: Path, work: Path) -> int:
    h = work / "harness.c"
    h.write_text(HARNESS.replace("REPS", str(REPS)))
    exe = work / "harness"
    srcs = [str(h), *map(str, kernel_sources()),
            *(str(p) for p in sorted(gen.glob("*.c")) if "_tflite" not in p.name)]
    subprocess.run(["gcc", *CFLAGS, "-O2", "-DNDEBUG", f"-I{INCLUDE_DIR}", f"-I{gen}", *srcs,
                    "-o", str(exe)], check=True)
    out = work / "cg.ours"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    "--collect-atstart=no", "--toggle-collect=ped_stage_*", str(exe)],
                   check=True, capture_output=True)
    return _callgrind_totals([out])[0] // REPS


def tflm_instructions(specs: dict[str, BundleSpec], work: Path) -> dict[str, int]:
    """One valgrind run of a small Python script over every stage model; one callgrind dump
    per Invoke() call."""
    paths, owners = [], []
    for name, spec in specs.items():
        for k, s in enumerate(spec.stages):
            p = work / f"tflm-{len(paths):03d}.tflite"
            p.write_bytes(s.tflite)
            paths.append(str(p))
            owners.append((name, k))
    script = work / "tflm_invoke.py"
    script.write_text(TFLM_SCRIPT.replace("REPS", str(REPS)))
    out = work / "cg.tflm"
    fn = "*MicroInterpreter::Invoke()"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    "--collect-atstart=no", f"--toggle-collect={fn}", f"--dump-after={fn}",
                    sys.executable, str(script), *paths], check=True, capture_output=True)
    dumps = sorted(work.glob("cg.tflm.*"), key=lambda p: int(p.suffix[1:]))
    counts = _callgrind_totals(dumps)
    if len(counts) < len(paths) * REPS:
        raise RuntimeError(f"expected {len(paths) * REPS} callgrind dumps, got {len(counts)}")
    result: dict[str, int] = {}
    for i, (name, _) in enumerate(owners):
        result[name] = result.get(name, 0) + counts[i * REPS + REPS - 1]  # warm invoke
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", type=Path, default=ROOT / "build")
    ap.add_argument("--no-callgrind", action="store_true", help="skip instruction counts")
    args = ap.parse_args()
    console = Console(width=170)
    use_cg = not args.no_callgrind and shutil.which("valgrind") is not None
    specs = bundles(args.build_dir)
    work = Path(tempfile.mkdtemp(prefix="ped-bench-"))
    rows = []
    for n, (name, spec) in enumerate(specs.items()):
        d = work / f"m{n:02d}"
        result: CodegenResult = generate(spec, d / "gen")
        nb = NativeBundle(build(d / "gen", d), result, spec.n_classes)
        bad, total = bit_exact(nb, spec)
        arena = arena_comparison(spec, result)
        ours_arena = result.arena_bytes
        tflm_arena = arena[-1].tflm
        cb = code_bytes(d / "gen", d)
        ins = ours_instructions(d / "gen", d) if use_cg else None
        rows.append((name, len(spec.stages), bad, total, ours_arena, tflm_arena, cb,
                     sum(len(s.tflite) for s in spec.stages), ins))
    tflm_ins = tflm_instructions(specs, work) if use_cg else {}
    table = Table(title="ped AOT C vs TFLM interpreter (host x86-64; sizes: Cortex-M4 -Os)")
    for col in ("model", "stages", "differing", "arena ours", "arena TFLM", "ratio",
                "code+weights ours", ".tflite bytes", "instr ours", "instr TFLM", "ratio "):
        table.add_column(col, justify="left" if col == "model" else "right")
    for name, k, bad, total, oa, ta, cb, tb, ins in rows:
        ti = tflm_ins.get(name)
        table.add_row(name, str(k), f"{bad}/{total}", f"{oa:,}", f"{ta:,}", f"{oa / ta:.2f}",
                      f"{cb:,}" if cb is not None else "n/a", f"{tb:,}",
                      f"{ins:,}" if ins is not None else "n/a",
                      f"{ti:,}" if ti else "n/a",
                      f"{ins / ti:.2f}" if ins is not None and ti else "n/a")
    console.print(table)
    kb = code_bytes(None, work / "kernels-only")
    if kb is not None:
        console.print(f"code+weights includes the whole kernel library: {kb:,} bytes "
                      "(Cortex-M4 -Os, unlinked, all ops)")
    console.print("arena for multi-stage bundles: ours = one shared arena; TFLM = its largest "
                  "stage arena + the connection tensors kept between stages.")
    console.print("targets: differing 0; arena ratio <= 1.0; instruction ratio <= 0.70")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
