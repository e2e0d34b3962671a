"""FIND-WL: the cheapest candidate that is a weak learner this round.

The pool (`make_pool`) holds the kind's architectures whose MACs lie between a few hundred and
`max_fraction` (default 1/4) of the teacher's, sorted by profiled cost on the target (cycles,
then flash). `find_wl` walks it from a start index: a candidate over the board's per-student
flash/RAM budget is refused and never trained; otherwise it is trained and its edge on held-out
data is measured; the first with edge >= gamma is taken. None taken: the caller stops.
Each round re-sorts the remaining architectures by their cost as wired that round (a
connection adds a "mix" layer). Choice beyond DESIGN.md: the walk starts at the previous
round's accepted architecture (the
paper's FIND-WL also never goes back to cheaper classes), so students grow only when the
adversary makes the cheap ones fail, and each round trains as few candidates as possible.
`max_tries` (default 3 in DistillConfig) bounds the candidates trained per round, and after a
failure the search skips to candidates at least `escalate` (default 2) times as costly: the
pool is dense at the cheap end, and three near-identical tiny candidates failing says little
about a bigger one, while each try costs a full training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.boards import Board
from pipeline.distill.cost import CostRecord, cost, refusal
from pipeline.distill.pool import Arch, Candidate, arch_grid


@dataclass
class Trial:
    candidate: Candidate
    cost: CostRecord
    accepted: bool = False
    edge: float | None = None
    refused: str | None = None
    result: Any = None  # what the trainer returned (model, alpha, ...)


def make_pool(kind: str, input_shape: tuple[int, ...], n_classes: int, teacher_macs: int,
              board: Board, max_fraction: float = 0.25) -> list[Arch]:
    """The kind's architectures within [0, max_fraction * teacher MACs], cheapest first."""
    out = []
    for arch in arch_grid(kind, input_shape):
        rec = cost(Candidate(arch, input_shape, n_classes), board)
        if rec.macs <= max_fraction * teacher_macs:
            out.append((rec.cycles, rec.flash_bytes, arch.name, arch))
    return [a for *_, a in sorted(out, key=lambda t: t[:3])]


def find_wl(candidates: list[Candidate], board: Board,
            train: Callable[[Candidate], tuple[float, Any]], gamma: float,
            log: Callable[[Trial], None] = lambda t: None,
            max_tries: int = 0, escalate: float = 1.0) -> tuple[int, Trial] | None:
    """(index, trial) of the first candidate that fits the budget and reaches edge >= gamma.

    `train(c)` fits c and returns (edge on held-out data, anything to keep). At most
    `max_tries` candidates are trained (0 = all); refused ones do not count. After a failure,
    candidates cheaper than `escalate` times the failed one's cycles are skipped."""
    tried, floor = 0, 0.0
    for i, c in enumerate(candidates):
        if max_tries and tried >= max_tries:
            break
        rec = cost(c, board)
        if rec.cycles < floor:
            continue
        trial = Trial(c, rec)
        trial.refused = refusal(rec, board.budget)
        if trial.refused is None:
            trial.edge, trial.result = train(c)
            tried += 1
            trial.accepted = trial.edge >= gamma
            floor = escalate * rec.cycles
        log(trial)
        if trial.accepted:
            return i, trial
    return None
