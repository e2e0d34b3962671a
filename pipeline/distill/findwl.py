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

Cost bands (`find_wl_band`, used when DistillConfig.bands = rho > 1; choice beyond the paper):
round t searches the band [m rho^(t-1), m rho^t) of cycles, m = the pool's cheapest, trains
`per_band` candidates spread over it (cheapest and costliest included, so the deeper variant
competes), each `seeds` times (best-of-n for tiny students, whose seed spread is several
points), and takes the accepted trial with the best score (the val gain, bdistil.py) instead of
the first. A band without a weak learner passes to the next band once.
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


def band(t: int, base: float, rho: float) -> tuple[float, float]:
    """Cost band [lo, hi) of round t (1-based): base * rho^(t-1) .. base * rho^t cycles."""
    return base * rho ** (t - 1), base * rho ** t


def spread(items: list, n: int) -> list:
    """n items evenly spaced over the list, its first and last included (all when <= n)."""
    if len(items) <= n:
        return list(items)
    if n <= 1:
        return [items[0]]
    idx = sorted({round(i * (len(items) - 1) / (n - 1)) for i in range(n)})
    return [items[i] for i in idx]


def find_wl_band(candidates: list[Candidate], board: Board, lo: float, hi: float,
                 train_all: Callable[[list[tuple[Candidate, int]]], list[tuple[float, Any]]],
                 accepts: Callable[[float, Any], bool], score: Callable[[float, Any], float],
                 per_band: int, seeds: Callable[[CostRecord], int],
                 log: Callable[[Trial], None] = lambda t: None) -> Trial | None:
    """The best weak learner among `per_band` candidates of the cost band [lo, hi).

    Candidates over the board's budget are refused (logged, not trained). The others in the
    band, evenly spread by cost, are each trained `seeds(cost)` times, all in one call
    `train_all([(c, rep), ...]) -> [(edge, result), ...]` (so they may train side by side);
    every trial that `accepts(edge, result)` competes on `score` (higher wins; ties: the
    earlier). None: no weak learner in the band."""
    in_band = []
    for c in candidates:
        rec = cost(c, board)
        if not lo <= rec.cycles < hi:
            continue
        why = refusal(rec, board.budget)
        if why is not None:
            log(Trial(c, rec, refused=why))
            continue
        in_band.append((c, rec))
    runs = [(c, rec, rep) for c, rec in spread(in_band, per_band)
            for rep in range(max(1, seeds(rec)))]
    best = None
    for (c, rec, _), (e, result) in zip(runs, train_all([(c, rep) for c, _, rep in runs]),
                                        strict=True):
        trial = Trial(c, rec, edge=e, result=result)
        trial.accepted = accepts(e, result)
        log(trial)
        if trial.accepted and (best is None or score(e, result) > score(best.edge, best.result)):
            best = trial
    return best
