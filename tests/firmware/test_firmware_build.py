"""Firmware build plumbing: target table, image sizes, the board budget check, `ped build`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.boards import load_board
from pipeline.errors import PedError
from pipeline.firmware_build import (
    REAL_TARGETS,
    TARGETS,
    check_budget,
    compile_flags,
    get_target,
    image_size,
    link_flags,
    object_sizes,
    qemu_command,
)

ROOT = Path(__file__).resolve().parents[2]
M4 = TARGETS["qemu-m4"]


def _link(tmp: Path, sources: dict[str, str]) -> tuple[Path, Path]:
    """Compile and link C sources for qemu-m4 with the real linker script; (elf, map)."""
    for name, text in sources.items():
        (tmp / name).write_text(text)
    objs = []
    for name in sources:
        obj = tmp / name.replace(".c", ".o")
        subprocess.run([M4.cc, *compile_flags(M4), "-c", str(tmp / name), "-o", str(obj)],
                       check=True)
        objs.append(str(obj))
    elf, map_file = tmp / "fw.elf", tmp / "fw.map"
    subprocess.run([M4.cc, *objs, *link_flags(M4, map_file), "-o", str(elf)], check=True)
    return elf, map_file


MAIN = ("#include <stdint.h>\nextern const uint8_t stage_01_w[], stage_02_w[];\n"
        "extern uint8_t stage_02_scratch[];\nvoid Reset_Handler(void);\nint main(void);\n"
        "void Reset_Handler(void) { main(); }\n"
        "int main(void) { stage_02_scratch[0] = 1; "
        "return stage_01_w[0] + stage_02_w[1] + stage_02_scratch[5]; }\n")


def test_budget_overflow_names_stage_and_bytes(tmp_path: Path) -> None:
    """An image over board.toml's flash is refused with the overflow in bytes and the stage."""
    elf, map_file = _link(tmp_path, {
        "main.c": MAIN,
        "stage_01.c": "#include <stdint.h>\nconst uint8_t stage_01_w[20000] = {1};\n",
        "stage_02.c": "#include <stdint.h>\nconst uint8_t stage_02_w[300000] = {2};\n"
                      "uint8_t stage_02_scratch[1000];\n",
    })
    size = image_size(M4, elf)
    limit = load_board("qemu-m4").flash_bytes
    assert size.flash > limit
    with pytest.raises(PedError) as err:
        check_budget(M4, elf, map_file)
    msg = err.value.problem
    assert f"over by {size.flash - limit:,} bytes" in msg
    assert "largest stage stage_02: 300," in msg
    assert msg.count("over by") == 1  # RAM fits
    stages = {Path(p).stem: k for p, k in object_sizes(map_file).items()}
    assert stages["stage_02"]["rodata"] == 300000
    assert stages["stage_02"]["bss"] == 1000


def test_budget_ram_overflow(tmp_path: Path) -> None:
    elf, map_file = _link(tmp_path, {
        "main.c": MAIN,
        "stage_01.c": "#include <stdint.h>\nconst uint8_t stage_01_w[16] = {1};\n",
        "stage_02.c": "#include <stdint.h>\nconst uint8_t stage_02_w[16] = {2};\n"
                      "uint8_t stage_02_scratch[70000];\n",
    })
    size = image_size(M4, elf)
    limit = load_board("qemu-m4").ram_bytes
    with pytest.raises(PedError, match=rf"RAM .* \(over by {size.ram - limit:,} bytes\)"):
        check_budget(M4, elf, map_file)


def test_image_size_agrees_with_size_tool(tmp_path: Path) -> None:
    """flash = text + data and RAM = data + bss, as arm-none-eabi-size counts them."""
    elf, _ = _link(tmp_path, {
        "main.c": MAIN,
        "stage_01.c": "#include <stdint.h>\nconst uint8_t stage_01_w[100] = {1};\n"
                      "uint32_t counter = 5;\n",
        "stage_02.c": "#include <stdint.h>\nconst uint8_t stage_02_w[16] = {2};\n"
                      "uint8_t stage_02_scratch[300];\n",
    })
    out = subprocess.run([M4.tool("size"), str(elf)], capture_output=True, text=True,
                         check=True).stdout.splitlines()[1].split()
    text, data, bss = (int(v) for v in out[:3])
    size = image_size(M4, elf)
    assert size.flash == text + data
    assert size.ram == data + bss
    assert check_budget(M4, elf) == size


def test_targets_are_refused_clearly() -> None:
    with pytest.raises(PedError, match="only its stock PlatformIO env"):
        get_target(REAL_TARGETS[0])
    with pytest.raises(PedError, match="no firmware target named 'm5'"):
        get_target("m5")


def test_qemu_command_is_deterministic() -> None:
    cmd = qemu_command(M4, Path("fw.elf"))
    assert cmd[:3] == ["qemu-system-arm", "-M", "mps2-an386"]
    assert re.match(r"shift=\d+,align=off,sleep=off", cmd[cmd.index("-icount") + 1])
    assert "enable=on,target=native" in cmd


@pytest.mark.slow
def test_ped_build_cli(platformio_ready: Path) -> None:
    """`ped build --target qemu-m4` builds with the fake model and reports the budget."""
    res = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--target", "qemu-m4"],
                         cwd=platformio_ready, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "within budget" in res.stdout + res.stderr
    bad = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--target", "qemu-m4",
                          "--model", str(ROOT / "boards")],
                         cwd=platformio_ready, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2
    assert "has no ped_model.h" in bad.stdout + bad.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("target", "text_at"), [("nano33ble", 0x00010000),
                                                 ("nucleo-l476rg", 0x08000000),
                                                 ("pico", 0x10000100)])
def test_real_boards_build_offline_within_budget(platformio_ready: Path, target: str,
                                                 text_at: int) -> None:
    """`ped build -t BOARD` for the real boards: our bare-metal code and the system
    arm-none-eabi-gcc (-Werror), linked with the board's own script, budget-checked against
    its board.toml. (Run on silicon: not here; see docs/boards.md.)"""
    res = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--target", target],
                         cwd=platformio_ready, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "within budget" in res.stdout + res.stderr
    t = get_target(target)
    board = load_board(target)
    size = image_size(t, t.elf())
    assert 0 < size.flash <= board.flash_bytes and 0 < size.ram <= board.ram_bytes
    sections = subprocess.run([t.readelf, "-SW", str(t.elf())], capture_output=True,
                              text=True, check=True).stdout
    assert re.search(rf"\.text\s+PROGBITS\s+{text_at:08x}", sections), sections
    # no heap: nothing pulled in newlib's allocator
    syms = subprocess.run([t.tool("nm"), str(t.elf())], capture_output=True, text=True).stdout
    assert not re.search(r"\b(_malloc_r|_sbrk)\b", syms)


@pytest.mark.slow
def test_ped_build_refuses_oversized_model(platformio_ready: Path) -> None:
    """A model directory whose stage_01 cannot fit is refused by `ped build` with the bytes
    over and the stage named, and `pio run -t upload` never starts QEMU."""
    model = ROOT / "tests" / "firmware" / "data" / "oversized_model"
    res = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--target", "qemu-m4",
                          "--model", str(model)],
                         cwd=platformio_ready, capture_output=True, text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 2, out[-3000:]
    assert re.search(r"over by [\d,]+ bytes\); largest stage stage_01: 300,\d{3} B flash", out), out
    up = subprocess.run([sys.executable, "-m", "platformio", "run", "-e", "qemu-m4", "-t",
                         "upload"],
                        cwd=platformio_ready, capture_output=True, text=True, timeout=300,
                        env={**os.environ, "PED_MODEL_DIR": str(model)})
    assert up.returncode != 0
    assert "does not fit qemu-m4" in up.stdout + up.stderr
    assert "qemu-system-arm" not in up.stdout


@pytest.mark.slow
def test_qemu_m3_image_is_integer_only(platformio_ready: Path) -> None:
    """The Cortex-M3 build (soft-float ABI, no FPU) links no floating-point helpers at all:
    the scheduler, aggregation and board code are integer-only."""
    res = subprocess.run([sys.executable, "-m", "platformio", "run", "-e", "qemu-m3"],
                         cwd=platformio_ready, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:]
    m3 = TARGETS["qemu-m3"]
    syms = subprocess.run([m3.tool("nm"), str(m3.elf())], capture_output=True, text=True,
                          check=True).stdout
    assert "ped_infer" in syms
    floats = SOFT_FLOAT.findall(syms)
    assert floats == [], floats


# Every floating-point helper a soft-float Cortex-M image can pull in: the run-time ABI's
# (ARM IHI 0043, "Run-time ABI for the Arm Architecture", section 4.1.2: __aeabi_fadd ...
# __aeabi_cfcmple, __aeabi_i2f, __aeabi_d2f, ...), libgcc's generic names (GCC internals,
# "Soft float library routines": __addsf3, __floatsisf, __fixsfsi, __extendsfdf2, __eqsf2,
# ...), and newlib's float printf and libm entry points.
SOFT_FLOAT = re.compile(
    r"\b(?:__aeabi_(?:[fd](?:add|sub|rsub|mul|div|neg|cmp\w+|2\w+)"   # arithmetic, compares,
    r"|c[fd]\w+"                                                       # conversions from f/d
    r"|u?[il]2[fd])"                                                   # int -> float
    r"|__(?:add|sub|mul|div|neg)[sdxt]f[23]"
    r"|__float(?:un)?[sdt]i[sdxt]f|__fixuns[sdxt]f[sdt]i|__fix[sdxt]f[sdt]i"
    r"|__extend[sd]f[dx]f2|__trunc[dx]f[sd]f2"
    r"|__(?:eq|ne|lt|le|gt|ge|unord|cmp)[sd]f2"
    r"|__powi[sd]f2|__ieee754_\w+|_printf_float|_dtoa_r"
    r"|(?:sqrt|exp|exp2|log|log2|log10|pow|sin|cos|tan|tanh|floor|ceil|round|fabs|fmod)f?)\b")


def test_soft_float_pattern_names_every_helper() -> None:
    """The pattern matches the helpers (as `nm` prints them) and no integer helper."""
    helpers = ["__aeabi_fadd", "__aeabi_dmul", "__aeabi_fcmplt", "__aeabi_cfcmple",
               "__aeabi_cdrcmple", "__aeabi_i2f", "__aeabi_ui2d", "__aeabi_l2f", "__aeabi_f2iz",
               "__aeabi_d2f", "__aeabi_frsub", "__addsf3", "__divdf3", "__floatsisf",
               "__floatunsidf", "__floatdisf", "__fixsfsi", "__fixunsdfsi", "__extendsfdf2",
               "__truncdfsf2", "__eqsf2", "__ltdf2", "__unordsf2", "_printf_float", "sqrtf",
               "expf", "tanh"]
    integer = ["__aeabi_idiv", "__aeabi_uidivmod", "__aeabi_ldivmod", "__aeabi_lmul",
               "__aeabi_llsl", "__aeabi_memcpy", "__divsi3", "__udivdi3", "__clzsi2", "floor_div"]
    nm = "\n".join(f"00000000 T {n}" for n in helpers + integer)
    assert SOFT_FLOAT.findall(nm) == helpers
