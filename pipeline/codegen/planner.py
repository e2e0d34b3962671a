"""Static memory planner: offsets in one arena for buffers with known lifetimes.

Greedy by size (largest first, ties by first use then key, so the plan is deterministic):
each buffer goes to the lowest 16-byte-aligned offset where it overlaps no already placed
buffer whose lifetime [first, last] intersects its own. Buffers whose lifetimes do not
overlap share memory.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIGN = 16


@dataclass(frozen=True)
class Block:
    key: str
    size: int
    first: int
    last: int


def align_up(n: int, align: int = ALIGN) -> int:
    return (n + align - 1) // align * align


def plan(blocks: list[Block], align: int = ALIGN) -> tuple[dict[str, int], int]:
    """Offsets per key and the total bytes (aligned) of the region."""
    placed: list[tuple[int, Block]] = []
    offsets: dict[str, int] = {}
    for b in sorted(blocks, key=lambda b: (-b.size, b.first, b.key)):
        live = sorted(((off, o) for off, o in placed if not (o.last < b.first or b.last < o.first)),
                      key=lambda p: p[0])
        offset = 0
        for off, o in live:
            if off >= offset + b.size:
                break
            offset = max(offset, align_up(off + o.size, align))
        offsets[b.key] = offset
        placed.append((offset, b))
    total = max((off + b.size for off, b in placed), default=0)
    return offsets, align_up(total, align)
