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
        return Board(budget=budget, **raw)
    except TypeError as exc:
        raise PedError(f"{path}: {exc}", "compare with boards/qemu-m4/board.toml") from exc
