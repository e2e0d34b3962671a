"""B-DISTIL: the rounds of the game, each adding the student FIND-WL returns.

Round t (1-based) on the current ensemble F_{t-1} (standardised teacher units, game.py):
  1. stop if the val residual norm is at or below `target_residual` (0 = never);
  2. the adversary K± from the residuals (train split for the objective's weights, val
     split for the edge);
  3. FIND-WL over the pool from the previous round's candidate, each candidate trained by the
     stochastic solver on the chosen objective (objective.py), wired to read the previous
     stage's feature map when `connections` is on;
  4. accept: F_t = F_{t-1} + alpha_t * tanh(u_t); the stage is saved at once (ensemble.py), so
     an interrupted run resumes at round t + 1.
Stops at K = min(stages, board budget max_stages) rounds, when no candidate is a weak learner,
or at the target residual. Choices beyond DESIGN.md: round 1 trains with uniform example
weights (the empty ensemble's residual is the teacher itself, so the adversary would only
favour confident examples); later rounds weight examples by (1 - focus) + focus * adversary
mass (residual_kd only; the game objective is weighted by its own potential). Option
`growth` (default 1 = off): round t only considers candidates costing at least growth times
stage t-1's cycles, a geometric schedule of stage sizes instead of the cheapest weak learner.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.boards import DEFAULT_BOARD, load_board
from pipeline.data.prepare import SPLITS, Dataset
from pipeline.distill import ensemble as io
from pipeline.distill.cost import cost
from pipeline.distill.findwl import Trial, find_wl, make_pool
from pipeline.distill.game import (
    Standardiser,
    adversary,
    distill_gap,
    edge,
    residual_norm,
    residuals,
)
from pipeline.distill.objective import (
    OBJECTIVES,
    line_search_alpha,
    make_loss,
    pack_targets,
    potential_scale,
)
from pipeline.distill.pool import Arch, Candidate, FeatureRef
from pipeline.distill.solver import SolverConfig, fit_candidate, predict
from pipeline.errors import PedError
from pipeline.manifest import sha256_json


@dataclass(frozen=True)
class DistillConfig:
    target: str = DEFAULT_BOARD
    stages: int = 4
    objective: str = "residual_kd"
    connections: bool = True
    eta: float = 1.0  # adversary step size, standardised-logit units
    gamma: float = 0.02  # weak-learning threshold on the normalised edge in [-1, 1]
    max_tries: int = 3  # FIND-WL: candidates trained per round at most (0 = the whole pool)
    escalate: float = 2.0  # FIND-WL: after a failure, skip to candidates >= this x its cycles
    growth: float = 1.0  # stage t costs >= growth x stage t-1's cycles (1 = FIND-WL as is)
    bound: float = 3.0  # B: |f_t| <= B, standardised-logit units
    temperature: float = 0.6  # KD temperature, standardised-logit units
    ce_weight: float = 0.1
    mu: float = 0.01  # log-barrier weight
    focus: float = 0.5  # residual_kd: share of the adversary in the example weights
    target_residual: float = 0.0
    max_cost_fraction: float = 0.25  # pool: at most this share of the teacher's MACs
    seed: int = 0
    solver: SolverConfig = field(default_factory=SolverConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def hash(self) -> str:
        return sha256_json(self.to_dict())


@dataclass
class Problem:
    """What every round needs: data, standardised teacher logits, labels."""

    ds: Dataset
    g: dict[str, np.ndarray]
    sigma: float

    @classmethod
    def build(cls, ds: Dataset, teacher_logits: dict[str, np.ndarray]) -> Problem:
        std = Standardiser.fit(teacher_logits["train"])
        return cls(ds, {s: std(teacher_logits[s]) for s in SPLITS}, std.sigma)

    @property
    def n_classes(self) -> int:
        return self.ds.n_classes

    def accuracy(self, f: np.ndarray, split: str) -> float:
        return float(np.mean(np.argmax(f, axis=1) == self.ds.y[split]))


@dataclass
class Stage:
    record: dict  # what progress.json / ensemble.json hold
    model: object
    y: dict[str, np.ndarray]  # tanh outputs per split
    feature: dict[str, np.ndarray]


@dataclass
class DistillResult:
    stages: list[Stage]
    f: dict[str, np.ndarray]  # final ensemble per split
    stop_reason: str
    pool: list[Arch]


def _inputs(p: Problem, stages: list[Stage], reads: list[dict] | tuple, split: str):
    xs = [p.ds.x[split]]
    for r in reads:
        xs.append(stages[r["from_stage"] - 1].feature[split])
    return xs


def _describe(trial: Trial, t: int) -> str:
    rec = trial.cost
    head = (f"round {t}: {trial.candidate.name:<22} {rec.macs:>9,} MACs "
            f"~{rec.cycles:>10,} cycles ({rec.cycles_source})")
    if trial.refused:
        return f"{head}  [yellow]refused[/]: {trial.refused}"
    verdict = "[green]accepted[/]" if trial.accepted else "[red]not a weak learner[/]"
    return f"{head}  edge {trial.edge:+.3f}  {verdict}"


def run_bdistil(p: Problem, teacher_macs: int, cfg: DistillConfig, out_dir: Path,
                log: Callable[[str], None] = print, resume_key: str = "") -> DistillResult:
    """Rounds of B-DISTIL into out_dir; resumes accepted stages saved under the same
    `resume_key` (default: the config hash)."""
    import keras

    resume_key = resume_key or cfg.hash
    if cfg.objective not in OBJECTIVES:
        raise PedError(f"unknown objective '{cfg.objective}'", f"use one of {OBJECTIVES}")
    board = load_board(cfg.target)
    k_max = min(cfg.stages, board.budget.max_stages)
    if k_max < cfg.stages:
        log(f"[yellow]{cfg.target} allows at most {k_max} stages; asked for {cfg.stages}[/]")
    kind, shape, n_cls = p.ds.meta["kind"], p.ds.input_shape, p.n_classes
    pool = make_pool(kind, shape, n_cls, teacher_macs, board, cfg.max_cost_fraction)
    if not pool:
        raise PedError(f"no candidate student under {cfg.max_cost_fraction:.0%} of the "
                       f"teacher's {teacher_macs:,} MACs", "raise max_cost_fraction")
    f = {s: np.zeros_like(p.g[s]) for s in SPLITS}
    stages: list[Stage] = []
    for rec in io.load_progress(out_dir, resume_key):  # resume
        model = keras.models.load_model(io.round_path(out_dir, rec["stage"]), compile=False)
        st = Stage(rec, model, {}, {})
        for s in SPLITS:
            st.y[s], st.feature[s] = predict(model, _inputs(p, stages, rec["inputs"][1:], s))
            f[s] = f[s] + rec["alpha"] * st.y[s]
        stages.append(st)
        log(f"round {rec['stage']}: resumed {rec['candidate']} (val acc "
            f"{100 * rec['val_accuracy']:.1f}%)")
    start = stages[-1].record["pool_index"] if stages else 0
    stop = f"{k_max} rounds"
    for t in range(len(stages) + 1, k_max + 1):
        if cfg.target_residual > 0 and residual_norm(p.g["val"], f["val"]) <= cfg.target_residual:
            stop = f"target residual {cfg.target_residual} reached"
            break
        r_train = residuals(p.g["train"], f["train"])
        adv_val = adversary(residuals(p.g["val"], f["val"]), cfg.eta)
        w = None
        if cfg.objective == "residual_kd" and t > 1:
            w = (1 - cfg.focus) + cfg.focus * adversary(r_train, cfg.eta).example_weights()
        reads: tuple[FeatureRef, ...] = ()
        if cfg.connections and t > 1:
            prev = stages[-1].record
            reads = (FeatureRef(t - 1, 1, tuple(prev["feature_shape"])),)
        read_desc = [{"role": "feature", "from_stage": r.from_stage, "from_output": r.from_output}
                     for r in reads]
        loss_fn = make_loss(cfg.objective, n_cls, cfg.bound, cfg.temperature, cfg.ce_weight,
                            cfg.mu, cfg.eta, potential_scale(r_train, cfg.eta))
        tr = {s: pack_targets(p.g[s], f[s], p.ds.y[s], n_cls) for s in ("train", "val")}
        xs = {s: _inputs(p, stages, read_desc, s) for s in ("train", "val")}

        def train(c: Candidate, t=t, tr=tr, xs=xs, w=w, r_train=r_train, adv_val=adv_val,
                  loss_fn=loss_fn):
            idx = pool.index(c.arch)
            model, epochs = fit_candidate(c, loss_fn, xs["train"], tr["train"], w, xs["val"],
                                          tr["val"], cfg.solver, cfg.seed * 7919 + 97 * t + idx)
            y_tr, _ = predict(model, xs["train"])
            y_val, _ = predict(model, xs["val"])
            alpha = cfg.bound if cfg.objective == "residual_kd" else \
                line_search_alpha(r_train, y_tr, cfg.bound, cfg.eta)
            return edge(adv_val, alpha * y_val, cfg.bound), (model, alpha, epochs)

        cands = sorted((Candidate(a, shape, n_cls, t, reads) for a in pool[start:]),
                       key=lambda c: (cost(c, board).cycles, pool.index(c.arch)))
        if stages and cfg.growth > 1.0:
            least = cfg.growth * stages[-1].record["cost"]["cycles"]
            cands = [c for c in cands if cost(c, board).cycles >= least]
        found = find_wl(cands, board, train, cfg.gamma, lambda tr_, t=t: log(_describe(tr_, t)),
                        cfg.max_tries, cfg.escalate)
        if found is None:
            stop = f"no weak learner in round {t}"
            break
        _, trial = found
        start = pool.index(trial.candidate.arch)
        model, alpha, epochs = trial.result
        st = Stage({}, model, {}, {})
        for s in SPLITS:
            st.y[s], st.feature[s] = predict(model, _inputs(p, stages, read_desc, s))
            f[s] = f[s] + alpha * st.y[s]
        c = trial.candidate
        st.record = {
            "stage": t, "candidate": c.name, "architecture": c.arch.spec(),
            "pool_index": start, "cost": trial.cost.to_dict(),
            "inputs": [{"role": "x"}, *read_desc],
            "feature_shape": [int(d) for d in model.outputs[1].shape[1:]],
            "edge": trial.edge, "alpha": alpha, "epochs": epochs,
            "val_accuracy": p.accuracy(f["val"], "val"),
            "test_accuracy": p.accuracy(f["test"], "test"),
            "train_residual": residual_norm(p.g["train"], f["train"]),
            "val_residual": residual_norm(p.g["val"], f["val"]),
            "train_kl": distill_gap(p.g["train"], f["train"], cfg.temperature),
            "val_kl": distill_gap(p.g["val"], f["val"], cfg.temperature),
            "round_file": f"stage_{t:02d}.keras",
        }
        io.round_path(out_dir, t).parent.mkdir(parents=True, exist_ok=True)
        model.save(io.round_path(out_dir, t))
        stages.append(st)
        io.save_progress(out_dir, resume_key, [s.record for s in stages])
        log(f"round {t}: F_{t} val accuracy {100 * st.record['val_accuracy']:.1f}%, "
            f"residual {st.record['val_residual']:.3f}, alpha {alpha:.2f}")
    return DistillResult(stages, f, stop, pool)
