"""Build generated code for an emulated Cortex-M board and run it under QEMU (kernel tests and
benchmarks/kernels.py; the firmware proper is built by PlatformIO, pipeline/firmware_build.py).

`build_image` compiles the kernel library (objects cached per target and flags), the given
generated sources and a test `main.c` with the firmware's compiler and flags
(`firmware_build.compile_flags`), links them bare-metal with newlib's semihosting (rdimon)
and `tests/golden/qemu/boot.c`; `run_image` runs the ELF on the target's QEMU machine with
`-icount shift=ICOUNT_SHIFT` and returns its standard output.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from pipeline.codegen.native import INCLUDE_DIR, kernel_sources
from pipeline.data.recipe import REPO_ROOT
from pipeline.firmware_build import ICOUNT_SHIFT, compile_flags, get_target

QEMU_DIR = REPO_ROOT / "tests" / "golden" / "qemu"


def rdimon_crt0(cc: str, cpu_flags: list[str]) -> Path:
    """newlib's semihosting start file for these CPU flags, as the compiler resolves its
    multilib (`-print-file-name`); RuntimeError with the install hint when it is missing."""
    out = subprocess.run([cc, *cpu_flags, "-print-file-name=rdimon-crt0.o"],
                         capture_output=True, text=True, check=True).stdout.strip()
    path = Path(out)
    if not path.is_absolute() or not path.is_file():  # gcc echoes the bare name if not found
        raise RuntimeError(f"{cc} {' '.join(cpu_flags)} finds no rdimon-crt0.o: install "
                           "libnewlib-arm-none-eabi (scripts/bootstrap.sh)")
    return path


def _compile(cc: str, flags: list[str], src: Path, obj_dir: Path) -> Path:
    key = hashlib.sha256(src.read_bytes() + " ".join(flags).encode()).hexdigest()[:12]
    obj = obj_dir / f"{src.stem}-{key}.o"
    if not obj.is_file():
        obj_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([cc, *flags, "-c", str(src), "-o", str(obj)], check=True,
                       capture_output=True, text=True)
    return obj


def build_image(target: str, gen_dir: Path, main_c: Path, work: Path,
                kernel_obj_dir: Path) -> tuple[Path, Path, list[Path]]:
    """(elf, link map, kernel objects) of gen_dir's C (no .tflite arrays) + main_c."""
    t = get_target(target)
    flags = [*compile_flags(t), f"-I{INCLUDE_DIR}", f"-I{gen_dir}"]
    kobjs = [_compile(t.cc, [*compile_flags(t), f"-I{INCLUDE_DIR}"], s,
                      kernel_obj_dir / target) for s in kernel_sources()]
    objs = [_compile(t.cc, flags, s, work / "obj")
            for s in [QEMU_DIR / "boot.c", main_c,
                      *(p for p in sorted(gen_dir.glob("*.c")) if "_tflite" not in p.name)]]
    elf, map_file = work / f"{target}.elf", work / f"{target}.map"
    subprocess.run([t.cc, *t.cpu_flags, "--specs=rdimon.specs", "-nostartfiles", "-T",
                    str(QEMU_DIR / "mps2.ld"), "-Wl,--gc-sections", f"-Wl,-Map,{map_file}",
                    *map(str, objs + kobjs), str(rdimon_crt0(t.cc, list(t.cpu_flags))),
                    "-o", str(elf)], check=True, capture_output=True, text=True)
    return elf, map_file, kobjs


def run_image(target: str, elf: Path, timeout: float = 600) -> str:
    """Standard output of the ELF on QEMU (semihosting); RuntimeError if it fails."""
    t = get_target(target)
    run = subprocess.run(["qemu-system-arm", "-M", t.qemu_machine, "-nographic", "-monitor",
                          "none", "-semihosting-config", "enable=on,target=native",
                          "-icount", f"shift={ICOUNT_SHIFT},align=off,sleep=off",
                          "-kernel", str(elf)], capture_output=True, text=True,
                         timeout=timeout)
    if run.returncode != 0:
        raise RuntimeError(f"{elf.name} failed on QEMU {t.qemu_machine}: {run.stderr[-400:]}")
    return run.stdout
