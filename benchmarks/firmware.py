"""Firmware benchmark: one command, prints tables.

    python benchmarks/firmware.py [--model DIR] [--boards native,qemu-m4,qemu-m3,pico]

1. Image per offline board (the application firmware, `pio run -e BOARD`): flash split into
   runtime code (scheduler, board, app, kernels, libc: everything but weights) and weights
   (.rodata of the model's objects); RAM split into arena, scheduler state (accumulator,
   logits, flags), input buffer, board state (serial rings, timers), stack and the rest.
2. On the QEMU boards (`pio run -e BOARD-bench`, firmware/bench): cycles per stage and the
   deadline overrun (deadline interrupt to answer) over a sweep of deadlines, with admission
   control on (the model's profiled costs) and off (costs hidden: only the interrupt stops a
   stage). QEMU -icount time is INSTRUCTION TIME (2^shift ns per instruction, counted by
   SysTick at 25 MHz), deterministic but not real Cortex-M cycles.
The model is $PED_MODEL_DIR / --model, else the fake demo model (firmware/fake).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pipeline.boards import load_board  # noqa: E402
from pipeline.errors import PedError  # noqa: E402
from pipeline.firmware_build import (  # noqa: E402
    ICOUNT_SHIFT,
    PIO_BUILD_DIR,
    Target,
    emulator_command,
    get_target,
    image_size,
    object_sizes,
    pio_command,
    qemu_command,
)

console = Console(width=120)
RUNTIME_TARGET_BYTES = 16 * 1024  # runtime code on Cortex-M4 at -Os, no weights


@dataclass
class Split:
    flash: int
    ram: int
    weights: int
    runtime: int
    ram_parts: dict[str, int]


def pio_run(env: str, model: Path | None) -> None:
    envvars = dict(os.environ)
    if model:
        envvars["PED_MODEL_DIR"] = str(model.resolve())
    res = subprocess.run(pio_command("run", "-e", env), cwd=ROOT, env=envvars,
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise PedError(f"`pio run -e {env}` failed:\n{res.stdout[-3000:]}{res.stderr[-2000:]}",
                       "run it by hand to see the first error")


def symbol_sizes(t: Target, elf: Path) -> dict[str, int]:
    out = subprocess.run([t.tool("nm"), "-S", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            sizes[parts[3]] = int(parts[1], 16)
    return sizes


def split(t: Target, env: str) -> Split:
    elf = PIO_BUILD_DIR / env / t.program_name
    size = image_size(t, elf)
    objs = object_sizes(elf.parent / "firmware.map")
    weights = sum(k["rodata"] for p, k in objs.items() if "/ped_model/" in p)
    board_ram = sum(k["data"] + k["bss"] for p, k in objs.items() if "/ped_board/" in p)
    syms = symbol_sizes(t, elf)
    parts = {"arena": syms.get("ped_arena", 0), "scheduler (accumulator)": syms.get("ped_sched", 0),
             "input buffer": syms.get("ped_input", 0), "board (serial rings, timers)": board_ram,
             "stack": size.sections.get(".stack", (0, ""))[0]}
    parts["other (libc, host runtime)"] = size.ram - sum(parts.values())
    return Split(size.flash, size.ram, weights, size.flash - weights, parts)


def bench(t: Target, model: Path | None) -> tuple[list[tuple[int, int, int]], dict, int]:
    """(stage, cycles, layers) rows, sweep rows per mode, counter Hz, from firmware/bench."""
    env = f"{t.name}-bench"
    pio_run(env, model)
    elf = PIO_BUILD_DIR / env / t.program_name
    cmd = qemu_command(t, elf) if t.qemu_machine else emulator_command(t, elf)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                         stdin=subprocess.DEVNULL).stdout
    if "BENCH done" not in out:
        raise PedError(f"{env} did not finish:\n{out[-2000:]}", "run the QEMU command by hand")
    stages = [tuple(int(x) for x in m) for m in
              re.findall(r"^BENCH stage (\d+) cycles (\d+) layers (\d+)", out, re.M)]
    sweep: dict[str, list[tuple[int, str, int, int]]] = {}
    for mode, dl, reason, done, over in re.findall(
            r"^BENCH sweep (\w+) (\d+) (\w+) (\d+) (\d+)", out, re.M):
        sweep.setdefault(mode, []).append((int(dl), reason, int(done), int(over)))
    hz = int(re.search(r"^BENCH hz (\d+)", out, re.M).group(1))
    return stages, sweep, hz  # type: ignore[return-value]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="generated model directory")
    ap.add_argument("--boards", default="native,qemu-m4,qemu-m3")
    args = ap.parse_args()
    boards = [b.strip() for b in args.boards.split(",") if b.strip()]
    subprocess.run([sys.executable, str(ROOT / "scripts" / "setup_platformio.py")], check=True,
                   capture_output=True)

    sizes = Table(title="Firmware image (application, -Os); bytes")
    for col in ("board", "flash", "runtime", "weights", "flash budget", "RAM", "RAM budget"):
        sizes.add_column(col, justify="right" if col != "board" else "left")
    ram = Table(title="RAM, every byte accounted")
    ram.add_column("board")
    rows = {}
    for b in boards:
        t = get_target(b)
        pio_run(b, args.model)
        s = split(t, b)
        rows[b] = s
        brd = load_board(t.board)
        note = " (host x86-64)" if t.host else ""
        sizes.add_row(b + note, f"{s.flash:,}", f"{s.runtime:,}", f"{s.weights:,}",
                      f"{brd.flash_bytes:,}", f"{s.ram:,}", f"{brd.ram_bytes:,}")
    parts = list(next(iter(rows.values())).ram_parts) if rows else []
    for p in parts:
        ram.add_column(p, justify="right")
    for b, s in rows.items():
        ram.add_row(b, *(f"{s.ram_parts[p]:,}" for p in parts))
    console.print(sizes)
    console.print(ram)
    if "qemu-m4" in rows:
        r = rows["qemu-m4"].runtime
        verdict = "meets" if r <= RUNTIME_TARGET_BYTES else "MISSES"
        console.print(f"qemu-m4 runtime code {r:,} B {verdict} the {RUNTIME_TARGET_BYTES:,} B "
                      "target (includes board support, app and libgcc/libc helpers)")

    for b in boards:
        t = get_target(b)
        if not (t.qemu_machine or t.emulator):
            console.print(f"{b}: no cycle/overrun run (its timing is not simulated here)")
            continue
        stages, sweep, hz = bench(t, args.model)
        clock = (f"QEMU -icount shift={ICOUNT_SHIFT} (instruction time at {hz / 1e6:g} MHz, "
                 "not real cycles)" if t.qemu_machine else
                 f"rp2040js (its Cortex-M0+ cycle model at {hz / 1e6:g} MHz)")
        st = Table(title=f"{b}: cycles per stage, {clock}")
        for col in ("stage", "cycles", "layers", "cycles / layer"):
            st.add_column(col, justify="right")
        for k, cyc, layers in stages:
            st.add_row(str(k), f"{cyc:,}", str(layers), f"{cyc // max(layers, 1):,}")
        console.print(st)
        layer = max(cyc // max(layers, 1) for _, cyc, layers in stages)
        ov = Table(title=f"{b}: deadline overrun (deadline interrupt -> answer) over "
                         f"{len(next(iter(sweep.values())))} deadlines")
        for col in ("admission", "deadline fired", "worst overrun cycles", "worst overrun us",
                    "longest layer cycles*", "within one layer"):
            ov.add_column(col, justify="right")
        for mode, pts in sweep.items():
            fired = [p for p in pts if p[1] == "deadline"]
            worst = max((p[3] for p in pts), default=0)
            ov.add_row("on" if mode == "admission" else "off (costs hidden)",
                       f"{len(fired)}/{len(pts)}", f"{worst:,}", f"{worst * 1e6 / hz:.1f}",
                       f"{layer:,}", "yes" if worst <= layer else "NO")
        console.print(ov)
        console.print("* stage cycles / n_layers, largest over stages: the mean layer; the fake "
                      "model's layers are equal, a generated model's are not.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except PedError as exc:
        console.print(f"[bold red]error:[/] {exc.problem}\n  [bold]fix:[/] {exc.fix}")
        sys.exit(2)
