"""Board definitions: `boards/<name>/board.toml`, the single source of a board's limits.

B-DISTIL reads the per-student budget (flash, RAM, maximum stages); the firmware build checks
the linked image against `flash_bytes` and `ram_bytes`. Unknown boards are refused with the
list of known ones.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from pipeline.data.recipe import REPO_ROOT
from pipeline.errors import PedError

BOARDS_DIR = REPO_ROOT / "boards"
DEFAULT_BOARD = "qemu-m4"  # the default 256 KB flash / 64 KB RAM Cortex-M4
# QEMU runs every emulated Cortex-M at one speed, -icount shift=3: 2^3 ns of virtual time per
# instruction (tests, HIL, profile, flash); the C side gets it as PED_ICOUNT_SHIFT
ICOUNT_SHIFT = 3
COST_UNITS = ("instructions", "cycles", "ns")


@dataclass(frozen=True)
class Budget:
    student_flash_bytes: int = 49152
    student_ram_bytes: int = 16384
    max_stages: int = 8


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    cpu: str
    emulated: bool
    clock_hz: int
    flash_bytes: int
    ram_bytes: int
    budget: Budget
    battery: dict[str, int] = field(default_factory=dict)  # wiring of an ADC battery monitor
    target: dict = field(default_factory=dict)  # how to build and run it (firmware_build)
    # the unit of stage costs and board_cycles() (ped_stage_t.cost_cycles): "cycles" (real
    # boards: the core clock, DWT CYCCNT where the core has it), "instructions" (QEMU
    # -icount: executed instructions, ~ cycles of a zero-wait-state core), "ns" (native)
    cost_unit: str = "cycles"

    @property
    def cost_hz(self) -> int:
        """Cost units per second: QEMU executes 10^9 / 2^ICOUNT_SHIFT instructions per second
        of virtual time; otherwise the clock (clock_hz)."""
        return 10 ** 9 >> ICOUNT_SHIFT if self.cost_unit == "instructions" else self.clock_hz


def known_boards() -> list[str]:
    return sorted(p.parent.name for p in BOARDS_DIR.glob("*/board.toml"))


def load_board(name: str) -> Board:
    path = BOARDS_DIR / name / "board.toml"
    if not path.is_file():
        raise PedError(f"no board named '{name}'",
                       f"use one of: {', '.join(known_boards())}")
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    try:
        budget = Budget(**raw.pop("budget", {}))
        board = Board(budget=budget, **raw)
    except TypeError as exc:
        raise PedError(f"{path}: {exc}", "compare with boards/qemu-m4/board.toml") from exc
    if board.cost_unit not in COST_UNITS:
        raise PedError(f"{path}: cost_unit {board.cost_unit!r} is not one of {COST_UNITS}",
                       "compare with boards/qemu-m4/board.toml")
    return board
