"""CMSIS-NN reference numbers for benchmarks/kernels.py, measured beside the project: Arm's
CMSIS-NN, built from a checkout you provide (never vendored, never downloaded here), called
through the s8 entry points TFLM's cmsis_nn kernels use, on the same one-layer models and
input as benchmarks/kernels.py and counted the same way (QEMU mps2 -icount shift=3, CMSDK APB
timer around N and 2N calls). Every output is checked against the TFLM interpreter. One
command (after benchmarks/kernels.py has cached the layer models in build/kernels-bench):

    python benchmarks/cmsis_nn_reference.py --cmsis-nn PATH [--targets qemu-m3,qemu-m4]

PATH is a checkout of github.com/ARM-software/CMSIS-NN (Include/ and Source/). Built with
arm-none-eabi-gcc -O2 for the target's CPU: Cortex-M3 takes CMSIS-NN's plain-C path,
Cortex-M4 its DSP path. Entry points: arm_convolve_wrapper_s8 (1-D included),
arm_depthwise_conv_wrapper_s8, arm_fully_connected_wrapper_s8 (per-channel quantisation),
each with its *_get_buffer_size scratch. The timed call builds the parameter structs as TFLM's
Eval does (about 30-50 instructions more than a bare call). The values recorded in
benchmarks/kernels.py `CMSIS_NN` come from this script (see its docstring for the commit).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pipeline.codegen.compare import tflm_outputs  # noqa: E402
from pipeline.codegen.cross import rdimon_crt0  # noqa: E402
from pipeline.codegen.ops import common as c  # noqa: E402
from pipeline.codegen.reader import read_model  # noqa: E402

QEMU_DIR = ROOT / "tests" / "golden" / "qemu"
REPS = 32
TARGETS = {"qemu-m3": ("mps2-an385", ["-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"]),
           "qemu-m4": ("mps2-an386", ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                                      "-mfpu=fpv4-sp-d16"])}
FLAGS = ["-std=c99", "-O2", "-ffunction-sections", "-fdata-sections"]
LAYERS = ["conv1d_1x100x6_8_filters_1x5_stride_2_same", "conv_8x8x1_8_filters_3x3_stride_1",
          "conv_14x14x8_16_filters_3x3_stride_2", "conv1d_1x25x16_16_filters_1x5_stride_1",
          "fully_connected_200_7", "fully_connected_64_10", "depthwise_14x14x16_3x3_stride_1"]


def arr(name, ctype, vals):
    v = ", ".join(str(int(x)) for x in np.asarray(vals).reshape(-1))
    return f"static const {ctype} {name}[] __attribute__((aligned(16))) = {{{v}}};\n"


def layer_c(tfl: bytes) -> tuple[str, int, int]:
    m = read_model(tfl)
    op = next(o for o in m.operators if o.op in ("CONV_2D", "DEPTHWISE_CONV_2D",
                                                 "FULLY_CONNECTED"))
    o = op.options
    inp, filt = m.tensors[op.inputs[0]], m.tensors[op.inputs[1]]
    bias = m.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    out = m.tensors[op.outputs[0]]
    n_out = out.size
    fused = o.fusedActivationFunction if o is not None else 0
    lo, hi = c.act_range(m, op, fused, out)
    if op.op == "FULLY_CONNECTED":
        units, depth = filt.shape
        mults, shifts = c.channel_multipliers(m, op, inp, filt, out, units)
        b = bias.data if bias is not None else np.zeros(units, np.int64)
        s = (arr("w", "int8_t", filt.data) + arr("b", "int32_t", b)
             + arr("mult", "int32_t", mults) + arr("shift", "int32_t", shifts))
        s += f"""
static int32_t mult_rw[{units}], shift_rw[{units}];
void layer_init(void) {{
    for (int i = 0; i < {units}; ++i) {{ mult_rw[i] = mult[i]; shift_rw[i] = shift[i]; }}
}}
int32_t layer_scratch(void) {{
    cmsis_nn_dims f = {{{depth}, 1, 1, {units}}};
    return arm_fully_connected_s8_get_buffer_size(&f);
}}
void layer_run(const int8_t *x, int8_t *y, void *buf, int32_t size) {{
    cmsis_nn_context ctx = {{buf, size}};
    cmsis_nn_fc_params fc = {{{-inp.zero_point}, 0, {out.zero_point}, {{{lo}, {hi}}}}};
    cmsis_nn_quant_params q = {{mult_rw, shift_rw, 1}};
    cmsis_nn_dims in_d = {{1, 1, 1, {depth}}}, f_d = {{{depth}, 1, 1, {units}}},
                  b_d = {{1, 1, 1, {units}}}, o_d = {{1, 1, 1, {units}}};
    (void)arm_fully_connected_wrapper_s8(&ctx, &fc, &q, &in_d, x, &f_d, w, &b_d, b, &o_d, y);
}}
"""
        return s, inp.size, n_out
    _, in_h, in_w, in_c = inp.shape
    _, out_h, out_w, out_c = out.shape
    if op.op == "CONV_2D":
        _, k_h, k_w, f_ic = filt.shape
    else:
        _, k_h, k_w, _ = filt.shape
    pad_h = c.padding(m, op, o.padding, o.strideH, o.dilationHFactor, in_h, k_h, out_h)
    pad_w = c.padding(m, op, o.padding, o.strideW, o.dilationWFactor, in_w, k_w, out_w)
    mults, shifts = c.channel_multipliers(m, op, inp, filt, out, out_c)
    b = bias.data if bias is not None else np.zeros(out_c, np.int64)
    s = (arr("w", "int8_t", filt.data) + arr("b", "int32_t", b)
         + arr("mult", "int32_t", mults) + arr("shift", "int32_t", shifts))
    s += f"static int32_t mult_rw[{out_c}], shift_rw[{out_c}];\n"
    s += (f"void layer_init(void) {{ for (int i = 0; i < {out_c}; ++i) {{ mult_rw[i] = mult[i]; "
          "shift_rw[i] = shift[i]; } }\n")
    dims = (f"cmsis_nn_dims in_d = {{1, {in_h}, {in_w}, {in_c}}}, "
            f"b_d = {{1, 1, 1, {out_c}}}, o_d = {{1, {out_h}, {out_w}, {out_c}}};\n")
    if op.op == "CONV_2D":
        params = (f"cmsis_nn_conv_params cp = {{{-inp.zero_point}, {out.zero_point}, "
                  f"{{{o.strideW}, {o.strideH}}}, {{{pad_w}, {pad_h}}}, "
                  f"{{{o.dilationWFactor}, {o.dilationHFactor}}}, {{{lo}, {hi}}}}};\n")
        fdims = f"cmsis_nn_dims f_d = {{{out_c}, {k_h}, {k_w}, {f_ic}}};\n"
        call = "arm_convolve_wrapper_s8(&ctx, &cp, &q, &in_d, x, &f_d, w, &b_d, b, &o_d, y)"
        size = "arm_convolve_wrapper_s8_get_buffer_size(&cp, &in_d, &f_d, &o_d)"
    else:
        params = (f"cmsis_nn_dw_conv_params cp = {{{-inp.zero_point}, {out.zero_point}, "
                  f"{out_c // in_c}, {{{o.strideW}, {o.strideH}}}, {{{pad_w}, {pad_h}}}, "
                  f"{{{o.dilationWFactor}, {o.dilationHFactor}}}, {{{lo}, {hi}}}}};\n")
        fdims = f"cmsis_nn_dims f_d = {{1, {k_h}, {k_w}, {out_c}}};\n"
        call = ("arm_depthwise_conv_wrapper_s8(&ctx, &cp, &q, &in_d, x, &f_d, w, &b_d, b, "
                "&o_d, y)")
        size = "arm_depthwise_conv_wrapper_s8_get_buffer_size(&cp, &in_d, &f_d, &o_d)"
    s += ("int32_t layer_scratch(void) {\n" + params + dims + fdims + f"return {size};\n}}\n")
    s += ("void layer_run(const int8_t *x, int8_t *y, void *buf, int32_t size) {\n"
          "cmsis_nn_context ctx = {buf, size};\n" + params + dims + fdims
          + "cmsis_nn_per_channel_quant_params q = {mult_rw, shift_rw};\n"
          + f"(void){call};\n}}\n")
    return s, inp.size, n_out


MAIN = r"""
#include <stdint.h>
#include <stdio.h>
void layer_init(void);
int32_t layer_scratch(void);
void layer_run(const int8_t *x, int8_t *y, void *buf, int32_t size);
#define TIMER0 ((volatile uint32_t *)0x40000000u)
static int8_t x[IN_LEN], y[OUT_LEN];
static uint8_t buf[65536] __attribute__((aligned(16)));
int main(void) {
    uint32_t s = 12345u;
    for (uint32_t i = 0; i < IN_LEN; ++i) {
        s = s * 1103515245u + 12345u;
        x[i] = (int8_t)(s >> 24);
    }
    layer_init();
    const int32_t size = layer_scratch();
    TIMER0[0] = 0u; TIMER0[2] = 0xFFFFFFFFu; TIMER0[1] = 0xFFFFFFFFu; TIMER0[0] = 1u;
    layer_run(x, y, buf, size);
    const uint32_t t0 = TIMER0[1];
    for (int r = 0; r < REPS; ++r) layer_run(x, y, buf, size);
    const uint32_t t1 = TIMER0[1];
    for (int r = 0; r < 2 * REPS; ++r) layer_run(x, y, buf, size);
    const uint32_t t2 = TIMER0[1];
    printf("TICKS %lu %lu SCRATCH %ld\nOUT ", (unsigned long)(t0 - t1),
           (unsigned long)(t1 - t2), (long)size);
    for (uint32_t i = 0; i < OUT_LEN; ++i) printf("%02x", (unsigned)(uint8_t)y[i]);
    printf("\n");
    return 0;
}
"""


def lib(src: Path, work: Path, target: str) -> Path:
    """CMSIS-NN's s8 convolution, fully connected and support sources as a static library."""
    d = work / "obj" / target
    a = d / "libcmsisnn.a"
    if a.is_file():
        return a
    d.mkdir(parents=True, exist_ok=True)
    srcs = [p for sub in ("ConvolutionFunctions", "FullyConnectedFunctions", "NNSupportFunctions")
            for p in sorted((src / "Source" / sub).glob("*.c"))
            if not re.search(r"_f(16|32)\.c$", p.name)]
    objs = []
    for p in srcs:
        obj = d / (p.stem + ".o")
        subprocess.run(["arm-none-eabi-gcc", *TARGETS[target][1], *FLAGS, f"-I{src}/Include",
                        "-c", str(p), "-o", str(obj)], check=True)
        objs.append(str(obj))
    subprocess.run(["arm-none-eabi-ar", "rcs", str(a), *objs], check=True)
    return a


def measure(src: Path, work: Path, cache: Path, name: str, target: str) -> dict:
    """Instructions per call of CMSIS-NN on layer `name`, outputs compared with TFLM's."""
    tfl = (cache / f"{name}.tflite").read_bytes()
    body, n_in, n_out = layer_c(tfl)
    w = work / f"{name}-{target}"
    w.mkdir(parents=True, exist_ok=True)
    (w / "layer.c").write_text('#include "arm_nnfunctions.h"\n' + body)
    (w / "main.c").write_text(f"#define IN_LEN {n_in}\n#define OUT_LEN {n_out}\n"
                              f"#define REPS {REPS}\n" + MAIN)
    cpu = TARGETS[target][1]
    elf, mp = w / "bench.elf", w / "bench.map"
    objs = []
    src_dir = src
    for s in (w / "layer.c", w / "main.c", QEMU_DIR / "boot.c"):
        obj = w / (s.stem + ".o")
        subprocess.run(["arm-none-eabi-gcc", *cpu, *FLAGS, f"-I{src_dir}/Include", "-c", str(s),
                        "-o", str(obj)], check=True)
        objs.append(str(obj))
    subprocess.run(["arm-none-eabi-gcc", *cpu, "--specs=rdimon.specs", "-nostartfiles", "-T",
                    str(QEMU_DIR / "mps2.ld"), "-Wl,--gc-sections", f"-Wl,-Map,{mp}", *objs,
                    str(lib(src, work, target)), str(rdimon_crt0("arm-none-eabi-gcc", cpu)), "-o",
                    str(elf)], check=True)
    run = subprocess.run(["qemu-system-arm", "-M", TARGETS[target][0], "-nographic",
                          "-monitor", "none", "-semihosting-config", "enable=on,target=native",
                          "-icount", "shift=3,align=off,sleep=off", "-kernel", str(elf)],
                         capture_output=True, text=True, timeout=600, check=True).stdout
    t = re.search(r"TICKS (\d+) (\d+) SCRATCH (-?\d+)", run)
    n1, n2 = int(t.group(1)), int(t.group(2))
    instr = round((n2 - n1) * 5 / REPS)  # 40 ns per tick / 8 ns per instruction
    got = bytes.fromhex(re.search(r"OUT ([0-9a-f]*)", run).group(1))
    s = 12345
    xs = []
    for _ in range(n_in):
        s = (s * 1103515245 + 12345) & 0xFFFFFFFF
        xs.append(((s >> 24) ^ 0x80) - 0x80)
    m = read_model(tfl)
    x = np.array(xs, dtype=np.int8).reshape(m.tensors[m.inputs[0]].shape)
    ref = tflm_outputs(tfl, [x])[0].astype(np.int8).tobytes()
    diff = sum(a != b for a, b in zip(got, ref, strict=True))
    code = 0  # .text of CMSIS-NN objects reached, from the map
    text = mp.read_text()
    for mm in re.finditer(r"^ \.text\S*\s+0x[0-9a-f]+\s+0x([0-9a-f]+) (\S+libcmsisnn\.a)", text,
                          re.M):
        code += int(mm.group(1), 16)
    return {"name": name, "target": target, "instructions": instr, "differing": diff,
            "outputs": len(ref), "scratch": int(t.group(3)), "code_bytes": code}


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cmsis-nn", type=Path, required=True, help="a CMSIS-NN checkout")
    ap.add_argument("--targets", default="qemu-m3,qemu-m4")
    ap.add_argument("--cache", type=Path, default=ROOT / "build" / "kernels-bench",
                    help="the layer models benchmarks/kernels.py cached")
    args = ap.parse_args(argv)
    if not (args.cmsis_nn / "Include" / "arm_nnfunctions.h").is_file():
        print(f"error: {args.cmsis_nn} is not a CMSIS-NN checkout (no Include/arm_nnfunctions.h)"
              "; clone github.com/ARM-software/CMSIS-NN and pass its path", file=sys.stderr)
        return 2
    missing = [n for n in LAYERS if not (args.cache / f"{n}.tflite").is_file()]
    if missing:
        print(f"error: {args.cache / missing[0]}.tflite is missing; run benchmarks/kernels.py "
              "first (it caches the layer models)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ped-cmsis-") as tmp:
        for tg in args.targets.split(","):
            for n in LAYERS:
                r = measure(args.cmsis_nn.resolve(), Path(tmp), args.cache, n, tg)
                print(f"{r['target']:8} {r['name']:45} {r['instructions']:>9,} instructions  "
                      f"{r['differing']}/{r['outputs']} outputs differ from TFLM  "
                      f"scratch {r['scratch']} B  code {r['code_bytes']} B", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
