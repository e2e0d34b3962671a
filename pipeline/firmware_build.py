"""Firmware builds: offline targets, compiler flags, `pio run`/upload, and the image budget.

`TARGETS` is read from `boards/<name>/board.toml` (`cpu`, `clock_hz`, memory, and its
`[target]` table: board code folder, linker script, how it runs: a host process, QEMU machine
or rp2040js; how it flashes; extra C defines). The PlatformIO builder
(`boards/pio-platform/builder/main.py`), the harness, the CLI help and the benchmarks read it.
The linked image is checked against `boards/<board>/board.toml` (`check_budget`): an overflow
is a PedError naming the overflow in bytes and the largest stage, raised before anything is
flashed.

Contract for the model directory (`ped codegen` output, or `firmware/fake` by default): its
`*.c` files are compiled with it on the include path; per-stage objects are named after the
stage (`stage_01.c` -> `stage_01.o`) so the budget check can attribute bytes to stages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.boards import ICOUNT_SHIFT, Board, load_board
from pipeline.data.recipe import REPO_ROOT
from pipeline.errors import PedError

FAKE_MODEL_DIR = REPO_ROOT / "firmware" / "fake"
PIO_BUILD_DIR = REPO_ROOT / ".pio" / "build"
WARNINGS = ("-Wall", "-Wextra", "-Werror")


@dataclass(frozen=True)
class Target:
    """How to build and run one PlatformIO env (an offline board or a real one)."""

    name: str                     # PlatformIO env name
    board: str                    # folder under boards/ with board.toml
    board_src: str                # folder under boards/ with board.c (and startup/linker)
    cpu_flags: tuple[str, ...] = ()
    cc: str = "arm-none-eabi-gcc"
    qemu_machine: str = ""        # QEMU -M, empty for non-emulated
    emulator: str = ""            # another emulator that runs the real board's image: rp2040js
    ldscript: str = ""            # relative to boards/<board_src>
    extra_defines: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> bool:
        return self.cc == "gcc"

    def tool(self, name: str) -> str:
        """A binutils tool beside the compiler: gcc -> readelf, arm-none-eabi-gcc -> ..."""
        return self.cc.removesuffix("gcc") + name

    @property
    def readelf(self) -> str:
        return self.tool("readelf")

    @property
    def program_name(self) -> str:
        return "program" if self.host else "firmware.elf"

    def elf(self, build_dir: Path = PIO_BUILD_DIR) -> Path:
        return build_dir / self.name / self.program_name


# compiler flags per `cpu` of board.toml
CPU_FLAGS = {
    "cortex-m4": ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
    "cortex-m3": ("-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"),
    "cortex-m0plus": ("-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"),
    "cortex-m0": ("-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"),
    "host": (),
}


def _load_targets() -> dict[str, Target]:
    """Every board whose board.toml has a [target] table (the one table of what a target is:
    cpu, clock, memory, board code, how it runs and flashes), in a fixed order."""
    from pipeline.boards import known_boards

    out = {}
    for name in known_boards():
        board = load_board(name)
        t = board.target
        if not t:
            continue
        if board.cpu not in CPU_FLAGS:
            raise PedError(f"boards/{name}/board.toml: cpu '{board.cpu}' has no compiler flags",
                           f"use one of: {', '.join(CPU_FLAGS)}")
        run = t.get("run", "")
        out[name] = Target(name, name, t.get("board_src", name), CPU_FLAGS[board.cpu],
                           cc=t.get("compiler", "arm-none-eabi-gcc"),
                           qemu_machine=t.get("qemu_machine", "") if run == "qemu" else "",
                           emulator=run if run not in ("qemu", "process", "") else "",
                           ldscript=t.get("ldscript", ""),
                           extra_defines=dict(t.get("defines", {})))
    order = ["native", "qemu-m4", "qemu-m3", "pico"]
    return dict(sorted(out.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order
                                                    else len(order), kv[0])))


TARGETS: dict[str, Target] = _load_targets()
REAL_TARGETS = ("esp32s3",)  # stock PlatformIO only: no Xtensa toolchain is reachable
__all__ = ["ICOUNT_SHIFT"]  # defined in pipeline.boards: the one QEMU speed


# stock-PlatformIO envs (platformio.ini) and the platform each needs from PlatformIO's registry
STOCK_ENVS = {"esp32s3": "espressif32", "nano33ble-stock": "nordicnrf52",
              "nucleo-l476rg-stock": "ststm32"}


def stock_platform_installed(platform: str) -> bool:
    return any((d / "platforms" / platform).is_dir()
               for d in (REPO_ROOT / ".piocore", Path.home() / ".platformio"))


def build_stock(name: str, model: Path | None = None) -> None:
    """`pio run -e name` for a stock-platform env (its pre-script checks the budget), or a
    PedError saying exactly what to install."""
    platform = STOCK_ENVS[name]
    if not stock_platform_installed(platform):
        raise PedError(f"'{name}' needs PlatformIO's stock platform '{platform}' (and its "
                       "toolchain), which is not installed here",
                       f"on a machine with internet: `pio pkg install -e {name}` (installs "
                       f"{platform} into .piocore), then `ped build -t {name}`")
    env = dict(os.environ, PED_MODEL_DIR=str(model_dir(model)))
    res = subprocess.run(pio_command("run", "-e", name), cwd=REPO_ROOT, env=env)
    if res.returncode != 0:
        raise PedError(f"`pio run -e {name}` failed (output above)", "fix the first error")


def get_target(name: str) -> Target:
    """The offline target `name`; stock-only boards are refused with the reason."""
    if name in TARGETS:
        return TARGETS[name]
    if name in REAL_TARGETS:
        raise PedError(f"'{name}' has no offline target (no toolchain for it is reachable "
                       "here): only its stock PlatformIO env exists",
                       f"`ped build -t {name}` builds it where PlatformIO's stock platform is "
                       f"installed; here use one of: {', '.join(TARGETS)}")
    raise PedError(f"no firmware target named '{name}'",
                   f"use one of: {', '.join([*TARGETS, *REAL_TARGETS])}")


def model_dir(given: Path | None = None) -> Path:
    """The generated model to build in: `given`, else $PED_MODEL_DIR, else the fake demo model."""
    raw = str(given) if given is not None else os.environ.get("PED_MODEL_DIR", "")
    path = Path(raw).resolve() if raw else FAKE_MODEL_DIR
    if not (path / "ped_model.h").is_file():
        raise PedError(f"PED_MODEL_DIR={path} has no ped_model.h",
                       "point it at `ped codegen`'s output (build/<dataset>/firmware) or unset it")
    return path


def compile_flags(t: Target) -> list[str]:
    """C flags for target t: C99, warnings as errors, size-optimised, dead code removable."""
    return ["-std=c99", *WARNINGS, "-Os", "-g", "-ffunction-sections", "-fdata-sections",
            *t.cpu_flags]


def defines(t: Target, board: Board) -> dict[str, str]:
    """Preprocessor constants (values as C source text): clock, board name, target extras."""
    battery = {f"PED_BATTERY_{k.upper()}": f"{v}u" for k, v in board.battery.items()}
    emulated = {"PED_ICOUNT_SHIFT": str(ICOUNT_SHIFT)} if t.qemu_machine else {}
    # PED_CPU_HZ: cost units per second (board_cpu_hz: cycles, or instructions on QEMU)
    return {"PED_CPU_HZ": f"{board.cost_hz}u", "PED_BOARD_NAME": f'"{t.board}"',
            **battery, **emulated, **t.extra_defines}


def link_flags(t: Target, map_file: Path) -> list[str]:
    flags = [*t.cpu_flags, "-Wl,--gc-sections", f"-Wl,-Map,{map_file}"]
    if not t.host:
        flags += ["-T", str(REPO_ROOT / "boards" / t.board_src / t.ldscript),
                  "--specs=nano.specs", "--specs=nosys.specs"]
    return flags


def qemu_command(t: Target, elf: Path, serial: str = "stdio", power: str = "null") -> list[str]:
    """QEMU running `elf` deterministically (-icount): serial0 = the UART, serial1 = power port."""
    if not t.qemu_machine:
        raise PedError(f"target {t.name} is not emulated", "use qemu-m4 or qemu-m3")
    return ["qemu-system-arm", "-M", t.qemu_machine, "-nographic", "-monitor", "none",
            "-serial", serial, "-serial", power,
            "-semihosting-config", "enable=on,target=native",
            "-icount", f"shift={ICOUNT_SHIFT},align=off,sleep=off", "-kernel", str(elf)]


PICO_EMULATOR_DIR = REPO_ROOT / "boards" / "pico" / "emulator"


def rp2040js_command(t: Target, image: Path, serial: str = "stdio", control: str = "",
                     console_commands: bool = False) -> list[str]:
    """The rp2040js runner (boards/pico/emulator/run.mjs) on a UF2 image: UART0 on stdio or
    `tcp:PORT`, the battery control socket on `control` (tcp:PORT), the battery wiring
    (ADC channel, divider, reference, empty/full voltages) from board.toml."""
    if t.emulator != "rp2040js":
        raise PedError(f"target {t.name} does not run under rp2040js", "use --target pico")
    if shutil.which("node") is None:
        raise PedError("'node' is not installed (the Pico emulator is a Node.js program)",
                       "install Node.js >= 18 (Debian: apt-get install nodejs npm), then "
                       "run scripts/bootstrap.sh")
    if not (PICO_EMULATOR_DIR / "node_modules" / "rp2040js" / "package.json").is_file():
        raise PedError("rp2040js is not installed in boards/pico/emulator",
                       "run scripts/bootstrap.sh (it runs `npm ci` there)")
    b = load_board(t.board).battery
    wiring = ",".join(str(b[k]) for k in ("adc_channel", "divider", "vref_mv", "empty_mv",
                                          "full_mv"))
    cmd = ["node", str(PICO_EMULATOR_DIR / "run.mjs"), str(image), "--serial", serial,
           "--battery", wiring]
    if control:
        cmd += ["--control", control]
    if console_commands:
        cmd.append("--console-commands")
    return cmd


def emulator_command(t: Target, elf: Path) -> list[str]:
    """The command that runs `elf` on target t's emulator with the console on stdio and
    exits with the firmware's status (tests, profiling); [elf] for native."""
    if t.qemu_machine:
        return qemu_command(t, elf)
    if t.emulator == "rp2040js":
        return rp2040js_command(t, elf.with_suffix(".uf2"), console_commands=True)
    if t.host:
        return [str(elf)]
    raise PedError(f"target {t.name} has no emulator", "run it on the board (ped flash)")


# ---- image sizes and the budget ------------------------------------------------------------

@dataclass(frozen=True)
class ImageSize:
    flash: int    # bytes stored in flash: code, read-only data, .data's initial values
    ram: int      # bytes of RAM: .data, .bss (arena, buffers), stack
    sections: dict[str, tuple[int, str]]  # name -> (bytes, readelf flags)


def image_size(t: Target, elf: Path) -> ImageSize:
    """Flash and RAM of a linked ELF from its allocated sections (readelf -S)."""
    out = _run([t.readelf, "-SW", str(elf)])
    sections: dict[str, tuple[int, str]] = {}
    pat = re.compile(r"\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)")
    for line in out.splitlines():
        m = pat.search(line)
        if m and "A" in m.group(4):
            sections[m.group(1)] = (int(m.group(3), 16), m.group(2) + ":" + m.group(4))
    flash = sum(n for n, kind in sections.values() if not kind.startswith("NOBITS"))
    ram = sum(n for n, kind in sections.values() if "W" in kind.split(":")[1])
    return ImageSize(flash, ram, sections)


def object_sizes(map_file: Path) -> dict[str, dict[str, int]]:
    """Bytes each object file (path as the linker saw it) put into .text, .rodata, .data and
    .bss, from a GNU ld map file (archive members appear as `lib.a(member.o)`)."""
    sizes: dict[str, dict[str, int]] = {}
    section = ""
    body = map_file.read_text(errors="replace").split("Linker script and memory map", 1)[-1]
    entry = re.compile(r"^\s(\.[\w.$-]+|COMMON)?\s*0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(\S+\.o\)?)$")
    for line in body.splitlines():
        head = re.match(r"^\s(\.[\w.$-]+|COMMON)\s*$", line)
        if head:
            section = head.group(1)
            continue
        m = entry.match(line)
        if not m:
            continue
        name = m.group(1) or section
        kind = next((k for k, prefixes in _KINDS.items() if name.startswith(prefixes)), None)
        if kind:
            slot = sizes.setdefault(m.group(3), dict.fromkeys(_KINDS, 0))
            slot[kind] += int(m.group(2), 16)
    return sizes


_KINDS = {"text": (".text", ".init", ".fini", ".ARM"), "rodata": (".rodata",),
          "data": (".data",), "bss": (".bss", "COMMON")}


def _stage_of(path: str) -> str:
    return Path(path.split("(")[-1].rstrip(")")).stem


def check_budget(t: Target, elf: Path | str, map_file: Path | str | None = None) -> ImageSize:
    """Refuse an image bigger than boards/<board>/board.toml allows (PedError), else its size."""
    elf, map_file = Path(elf), Path(map_file) if map_file else None
    board = load_board(t.board)
    size = image_size(t, elf)
    over = []
    if size.flash > board.flash_bytes:
        over.append(f"flash {size.flash:,} B > {board.flash_bytes:,} B "
                    f"(over by {size.flash - board.flash_bytes:,} bytes)")
    if size.ram > board.ram_bytes:
        over.append(f"RAM {size.ram:,} B > {board.ram_bytes:,} B "
                    f"(over by {size.ram - board.ram_bytes:,} bytes)")
    if not over:
        return size
    stage = "no per-stage objects (stage_*.o) found"
    if map_file and map_file.is_file():
        stages: dict[str, tuple[int, int]] = {}
        for path, k in object_sizes(map_file).items():
            if _stage_of(path).startswith("stage_"):
                stages[_stage_of(path)] = (k["text"] + k["rodata"] + k["data"],
                                           k["data"] + k["bss"])
        if stages:
            name, (fl, rm) = max(stages.items(), key=lambda kv: kv[1][0] + kv[1][1])
            stage = f"largest stage {name}: {fl:,} B flash, {rm:,} B RAM"
    raise PedError(f"{t.name} image does not fit {t.board}: {'; '.join(over)}; {stage}",
                   "distill smaller or fewer students (the budget in board.toml), or pick a board "
                   "with more memory")


# ---- PlatformIO --------------------------------------------------------------------------

def pio_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "platformio", *args]


def _run(cmd: list[str], **kw) -> str:
    if shutil.which(cmd[0]) is None and cmd[0] != sys.executable:
        raise PedError(f"'{cmd[0]}' is not installed", "run scripts/bootstrap.sh")
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        raise PedError(f"`{' '.join(cmd)}` failed:\n{res.stdout[-2000:]}{res.stderr[-2000:]}",
                       "see the output above")
    return res.stdout


def _logged(cmd: list[str], **kw) -> tuple[int, str]:
    """Run a build tool: its log on the terminal with --verbose, else kept for the error."""
    from pipeline.quiet import verbose

    if verbose():
        return subprocess.run(cmd, **kw).returncode, "(output above)"
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    tail = (res.stdout + res.stderr).strip().splitlines()[-40:]
    return res.returncode, "; its log ends:\n" + "\n".join(tail) + "\n(--verbose shows it all)"


def _ensure_platformio() -> None:
    if not (REPO_ROOT / ".piocore" / "packages" / "tool-scons" / "package.json").is_file():
        rc, log = _logged([sys.executable, str(REPO_ROOT / "scripts" / "setup_platformio.py")])
        if rc != 0:
            raise PedError(f"offline PlatformIO could not be prepared{log}",
                           "run scripts/bootstrap.sh")


def build(name: str, model: Path | None = None) -> ImageSize:
    """`pio run -e name` with the model directory, then the budget check (PedError on overflow)."""
    t = get_target(name)
    env = dict(os.environ, PED_MODEL_DIR=str(model_dir(model)),  # refused here if no model
               PED_BUDGET_BY_CALLER="1")  # checked below, as a PedError
    _ensure_platformio()
    rc, log = _logged(pio_command("run", "-e", t.name), cwd=REPO_ROOT, env=env)
    if rc != 0:
        raise PedError(f"`pio run -e {t.name}` failed{log}", "fix the first error it shows")
    return check_budget(t, t.elf(), t.elf().parent / "firmware.map")


def flash(name: str, port: str | None = None, model: Path | None = None,
          probe: str | None = None) -> None:
    """Build (budget-checked) then upload. Emulated targets start their emulator in the
    foreground (QEMU; the Pico's rp2040js when `port` is tcp:PORT); real boards are flashed
    over USB/probe (pipeline.flashing: the Pico's RPI-RP2 drive, pyocd/openocd)."""
    build(name, model)
    t = get_target(name)
    if not (t.host or t.qemu_machine or (t.emulator and port and port.startswith("tcp:"))):
        from pipeline.flashing import flash_hardware

        print(flash_hardware(t.board, t.elf(), port, probe), flush=True)
        return
    env = dict(os.environ, PED_MODEL_DIR=str(model_dir(model)), PED_BUDGET_BY_CALLER="1")
    if port:
        env["PED_UPLOAD_PORT"] = port
    cmd = pio_command("run", "-e", t.name, "-t", "upload")  # up to date: just built
    if port:
        cmd += ["--upload-port", port]
    res = subprocess.run(cmd, cwd=REPO_ROOT, env=env)
    if res.returncode not in (0, -2, 130):
        raise PedError(f"upload to {t.name} failed (output above)",
                       "check the port, or run `pio run -e " + t.name + " -t upload -v`")


def target_help() -> str:
    """One line naming every target and what it is here (for the CLI's --target help)."""
    parts = []
    for name, t in TARGETS.items():
        kind = ("host process" if t.host else "QEMU" if t.qemu_machine else
                "real board; CI: rp2040js" if t.emulator else "real board, build-only here")
        parts.append(f"{name} ({kind})")
    parts += [f"{n} (stock PlatformIO only)" for n in REAL_TARGETS]
    return ", ".join(parts)


