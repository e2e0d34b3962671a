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

Levers beyond the paper (issue #12; each off at its zero value, all on by default since the
benchmark of docs/distill.md; `paper` in benchmarks/distill_quality.py turns them off):
- `views` > 0, function matching: the fit split is the train split plus `views` augmented
  copies of it (augment.py, seeded by `seed`) labelled by the teacher model itself, so the
  residual a later round fits is measured on inputs the earlier stages were not fitted to. The
  baselines train on the same fit split. The adversary's example weights, the objective and the
  game's line search use the fit split; the reported train residual stays on the train split.
- `edge = "cosine"`: the weak-learning test uses game.cosine_edge (scale-free) instead of the
  normalised edge.
- `line_search`: alpha_t = argmin over a in [0, B] (grid B/20) of the val KD potential
  Phi(F_{t-1} + a y_t) (game.kd_potential), and a candidate is a weak learner only if also
  alpha_t > 0 and the relative val gain (Phi(F_{t-1}) - Phi(F_t)) / Phi(F_{t-1}) >= min_gain:
  a stage that does not help held-out data is never added. With `monotone` (default) F_t's
  val accuracy must also be >= F_{t-1}'s (ties allowed), so the anytime curve on val never
  goes down.
- `monotone_z` > 0 (with `monotone`): the monotone test tolerates a val accuracy loss within
  noise: a stage that breaks c val examples and fixes b < c still passes when
  c - b <= monotone_z sqrt(b + c) (`tolerated`). At the ceiling one val example is noise, and
  the strict test refused independent ("fresh") candidates with four times the val KD gain for
  one broken example, in favour of residual ones that changed nothing on val (docs/distill.md,
  "Ten seeds").
- `min_z` > 0 (line_search, rounds >= 2): the stage must also pass a sign test on val: of
  the val examples whose prediction it changes, the fixed b and the broken c must give
  b - c >= max(1, min_z sqrt(b + c)) (`significant`). A val accuracy gain within noise is not
  evidence that the stage helps, and on a small val split the stages chosen for it can lower
  the test curve (mnist5k, docs/distill.md); the run then stops at "no weak learner". On
  (min_z = 1) by default since run H: over 20 seeds of fsdd, mnist5k and digits it meets every
  target of issue #12 where the runs without it miss fsdd's paired stage 3, with each stage
  within about one s.e. of them and cheaper later stages (docs/distill.md, "Run H").
- `corrective`: after each round every alpha is refit on the anytime objective sum_k Phi(F_k)
  on val (corrective.py), kept only if no prefix's val accuracy drops.
- `joint_epochs` > 0: before that refit, from round 2, every student is fine-tuned jointly on
  the anytime loss (the mean over prefixes of what residual_kd minimises) on the fit split
  (corrective.finetune_jointly: lr `joint_lr`, the epoch with the best val anytime objective
  among those where no prefix's val accuracy drops, else nothing changes). GrowNet's "fully
  corrective step": the greedy rounds freeze every earlier student, so a round can only add.
  `joint_last = False` skips it in the last round (round `stages`): there it moves the stage
  just chosen on val and every earlier one on the same val split, and nothing later corrects
  it (measured in docs/distill.md, "Run F"). Off by default since run G: over 20 seeds of
  fsdd, mnist5k and digits the runs without it miss one target where the runs with it miss
  two, each stage within 0.12 points, and the jobs are about 10% faster.
- `fresh` (with bands, rounds >= 2): each band candidate is trained twice, on the residual
  objective against the adversary's example weights and "fresh", on the teacher alone (plain
  KD from an empty ensemble, uniform weights; what it reads: `fresh_reads`); both face the same
  weak-learning test (edge against the adversary, line-searched alpha, val gain, monotone),
  and the best val gain is the stage. A fresh student predicts the teacher rather than a
  correction, so its line search is over (beta, alpha): F_t = beta F_{t-1} + alpha y_t,
  beta in [0.3, 1] (every earlier alpha is multiplied by beta, which keeps every earlier
  prefix's argmax), and its edge is the cosine of the change beta F + alpha y - F. A fitted
  residual is a low-variance target only when the earlier stages' errors on new inputs look
  like their errors on the fit split; under subject shift (watch) an independently fitted
  student's errors are the more useful correction, which is what RESCHED exploits. The stage
  record says which (`fit_to`, `beta`). `fresh_reads` says what a fresh variant reads:
  "none" (the default: "fresh-solo", x only, the independent student RESCHED would train, so
  the line search can choose RESCHED's kind of stage, cheaper by the mix layer; a later stage
  then reads this stage's own map), "connected" (the previous stage's map; the default until
  run D, docs/distill.md) or "both" (one of each, 1.5x the trainings from round 2). The
  residual variant always reads the connection.
- `bands` = rho > 1: FIND-WL over geometric cost bands, `per_band` candidates per band,
  best-of-`small_seeds` seeds for students under `small_macs` MACs, the best val gain (edge
  without line_search) wins (findwl.find_wl_band).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.boards import DEFAULT_BOARD, load_board
from pipeline.data.prepare import SPLITS, Dataset
from pipeline.distill import ensemble as io
from pipeline.distill.corrective import finetune_jointly, refit_alphas
from pipeline.distill.cost import cost
from pipeline.distill.findwl import Trial, band, find_wl, find_wl_band, make_pool
from pipeline.distill.game import (
    Standardiser,
    adversary,
    cosine_edge,
    distill_gap,
    edge,
    kd_potential,
    residual_norm,
    residuals,
)
from pipeline.distill.objective import (
    OBJECTIVES,
    line_search_alpha,
    pack_targets,
    potential_scale,
)
from pipeline.distill.pool import Arch, Candidate, FeatureRef
from pipeline.distill.solver import FitJob, SolverConfig, fit_all, predict
from pipeline.engine import INPROCESS, Engine
from pipeline.errors import PedError
from pipeline.manifest import sha256_json


@dataclass(frozen=True)
class DistillConfig:
    target: str = DEFAULT_BOARD
    stages: int = 4
    objective: str = "residual_kd"
    connections: bool = True
    eta: float = 1.0  # adversary step size, standardised-logit units
    gamma: float = 0.02  # weak-learning threshold on the edge (either form lies in [-1, 1])
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
    # the levers of issue #12 (defaults = the benchmark's "fm"; "paper" turns them all off)
    views: int = 2  # teacher-labelled augmented views per train example (0 = off)
    edge: str = "cosine"  # weak-learning test: "normalised" (game.edge) | "cosine"
    line_search: bool = True  # alpha_t by line search on val; accept needs gain >= min_gain
    min_gain: float = 0.002  # relative val-potential drop a stage must give (line_search)
    # what the line search and the val gain measure: "kd" (the KD potential, mostly the
    # teacher's soft targets) or "labels" (val cross-entropy against the labels alone)
    gain_on: str = "kd"
    monotone: bool = True  # line_search: a stage must not lower F's val accuracy either
    # monotone: ... unless the val examples it breaks (c) and fixes (b) give
    # c - b <= monotone_z sqrt(b + c), a loss within noise (0 = any net loss refuses it)
    monotone_z: float = 0.0
    # line_search, rounds >= 2: the val examples a stage fixes (b) and breaks (c) must give
    # b - c >= max(1, min_z sqrt(b + c)), a one-sided sign test (0 = off; 1 since run H)
    min_z: float = 1.0
    fresh: bool = True  # bands, rounds >= 2: also train each candidate on the teacher alone
    # what a fresh variant reads: "none" (x only: RESCHED's independent student; the default
    # since run D), "connected" (the previous stage's map, as the residual variant; runs A-C),
    # "both" (one of each)
    fresh_reads: str = "none"
    beta_min: float = 0.3  # fresh stages: the least beta of F_t = beta F_{t-1} + alpha y_t
    corrective: bool = True  # refit every alpha on val after each round (guarded)
    joint_epochs: int = 0  # > 0: after each round >= 2, fine-tune all students jointly (20)
    joint_lr: float = 1e-3
    joint_last: bool = True  # the joint step also runs in the last round (round `stages`)
    bands: float = 2.0  # rho > 1: FIND-WL over cost bands [m rho^(t-1), m rho^t); 0 = off
    per_band: int = 2  # candidates trained per band
    # seeds tried per candidate under small_macs, the best on val kept (bands; measured at 2
    # in docs/distill.md "Run F": watch's stage 1 +2.1 +- 1.0, fsdd's -0.6 +- 0.3; not default)
    small_seeds: int = 1
    small_macs: int = 20_000
    solver: SolverConfig = field(default_factory=SolverConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def hash(self) -> str:
        return sha256_json(self.to_dict())


FIT = "fit"  # the split students are trained on: train (+ teacher-labelled views)
ALL = (FIT, *SPLITS)


@dataclass
class Problem:
    """What every round needs: inputs, standardised teacher logits and labels per split, with
    the fit split (train + `n_views` teacher-labelled augmented views) beside the dataset's."""

    ds: Dataset
    g: dict[str, np.ndarray]
    sigma: float
    x: dict[str, np.ndarray] = field(default_factory=dict)
    y: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, ds: Dataset, teacher_logits: dict[str, np.ndarray], teacher=None,
              n_views: int = 0, seed: int = 0) -> Problem:
        """`teacher(x) -> raw logits` labels the views (needed when n_views > 0)."""
        from pipeline.distill.augment import views

        std = Standardiser.fit(teacher_logits["train"])
        g = {s: std(teacher_logits[s]) for s in SPLITS}
        x, y = dict(ds.x), dict(ds.y)
        x[FIT], y[FIT], g[FIT] = ds.x["train"], ds.y["train"], g["train"]
        if n_views > 0:
            if teacher is None:
                raise PedError("augmented views need the teacher model to label them",
                               "pass the teacher (teacher/model.keras), or set views = 0")
            xv = views(ds.x["train"], ds.meta["kind"], n_views, seed)
            x[FIT] = np.concatenate([ds.x["train"], xv])
            y[FIT] = np.concatenate([ds.y["train"], np.tile(ds.y["train"], n_views)])
            g[FIT] = np.concatenate([g["train"], std(np.asarray(teacher(xv)))])
        return cls(ds, g, std.sigma, x, y)

    @property
    def n_classes(self) -> int:
        return self.ds.n_classes

    def accuracy(self, f: np.ndarray, split: str) -> float:
        return float(np.mean(np.argmax(f, axis=1) == self.y[split]))


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
    xs = [p.x[split]]
    for r in reads:
        xs.append(stages[r["from_stage"] - 1].feature[split])
    return xs


def _describe(trial: Trial, t: int, unit: str) -> str:
    """One log line per tried candidate; its cost in the board's `cost_unit` (instructions on
    the emulated boards, cycles on real ones)."""
    rec = trial.cost
    head = (f"round {t}: {trial.candidate.name:<22} {rec.macs:>9,} MACs "
            f"~{rec.cycles:>10,} {unit} ({rec.cycles_source})")
    if trial.refused:
        return f"{head}  [yellow]refused[/]: {trial.refused}"
    verdict = "[green]accepted[/]" if trial.accepted else "[red]not a weak learner[/]"
    extra = ""
    if isinstance(trial.result, tuple) and len(trial.result) > 3:
        extra = (f"  alpha {trial.result[1]:.2f}  val gain {100 * trial.result[3]:+.2f}%"
                 f"  val acc {100 * trial.result[4]:.1f}%"
                 + (f" (+{trial.result[7][0]}/-{trial.result[7][1]})"
                    if len(trial.result) > 7 else "")
                 + ({"fresh": f"  (fresh, beta {trial.result[6]:.2f})",
                     SOLO: f"  (fresh, no connection, beta {trial.result[6]:.2f})"}
                    .get(trial.result[5], "")))
    return f"{head}  edge {trial.edge:+.3f}{extra}  {verdict}"


def _alpha_and_gain(p: Problem, cfg: DistillConfig, f_val: np.ndarray, y_val: np.ndarray,
                    betas: tuple[float, ...] = (1.0,)) -> tuple[float, float, float]:
    """(alpha, beta, gain): alpha in [0, B] (grid B/20) and beta in `betas` minimising the val
    KD potential of beta F + alpha y (with `gain_on = "labels"`, its cross-entropy term alone),
    and the relative gain (Phi(F) - Phi(beta F + alpha y)) / Phi(F). beta < 1 shrinks every
    earlier stage's weight alike, which leaves the argmax of every earlier prefix unchanged."""
    g, lab = p.g["val"], p.y["val"]
    ce = 1.0 if cfg.gain_on == "labels" else cfg.ce_weight

    def phi(f):
        return kd_potential(g, f, lab, cfg.temperature, ce)

    base = phi(f_val)
    grid = cfg.bound * np.arange(21) / 20
    vals = [(phi(b * f_val + a * y_val), -b, a) for b in betas for a in grid]
    v, nb, a = min(vals)
    return float(a), float(-nb), float((base - v) / max(base, 1e-12))


GAIN_ON = ("kd", "labels")
SOLO = "fresh-solo"  # the variant that reads no earlier map
FRESH_VARIANTS = {"connected": ("fresh",), "none": (SOLO,), "both": ("fresh", SOLO)}


def _variants(cfg: DistillConfig, t: int) -> tuple[str, ...]:
    """How each band candidate of round t is trained: "residual" (against the adversary,
    reading the previous map), and with fresh candidates (bands on, t >= 2) "fresh" (the
    teacher alone, reading the previous map) and/or "fresh-solo" (the teacher alone, reading
    nothing: the independent student RESCHED would train)."""
    if not (cfg.fresh and cfg.bands > 1.0 and t > 1):
        return ("residual",)
    return ("residual", *FRESH_VARIANTS[cfg.fresh_reads])


def candidate_seed(seed: int, t: int, pool_index: int, seed_rep: int, variant: str) -> int:
    """The training seed of round t's candidate `pool_index` (its index in the pool), seed
    repetition `seed_rep` (small_seeds) and variant ("residual", "fresh", SOLO): every
    candidate of a job trains under its own seed, so a round gives the same students whatever
    engine or order trains them, and a candidate can be trained again alone."""
    fresh = variant != "residual"
    return (seed * 7919 + 97 * t + pool_index + 100_003 * seed_rep + 50_021 * fresh
            + 30_011 * (variant == SOLO))


def betas(beta_min: float) -> tuple[float, ...]:
    """The grid of beta a fresh stage's line search tries, ascending to 1 in steps of 0.05
    from the smallest step that is >= beta_min (never below it)."""
    n = math.floor((1.0 - beta_min) / 0.05 + 1e-9)
    return tuple(round(1.0 - 0.05 * i, 2) for i in range(n, -1, -1))


def flips(pred_before: np.ndarray, pred_after: np.ndarray, labels: np.ndarray) -> tuple[int, int]:
    """(fixed, broken): examples the change makes right that were wrong, and the reverse."""
    right0, right1 = pred_before == labels, pred_after == labels
    return int(np.sum(right1 & ~right0)), int(np.sum(right0 & ~right1))


def significant(fixed: int, broken: int, z: float) -> bool:
    """The sign test of a stage on val: fixed - broken >= max(1, z sqrt(fixed + broken))
    (McNemar's normal approximation, one-sided; z = 1 is one standard error)."""
    return fixed - broken >= max(1.0, z * math.sqrt(fixed + broken))


def tolerated(fixed: int, broken: int, z: float) -> bool:
    """The monotone test with a tolerance: a stage that breaks more val examples than it
    fixes still passes unless broken - fixed > z sqrt(fixed + broken), i.e. unless the loss is
    significant (z = 0: any net loss fails, the strict test: val accuracy must not drop)."""
    return broken - fixed <= z * math.sqrt(fixed + broken)


def _refresh_accuracies(p: Problem, stages: list[Stage], f: dict[str, np.ndarray]) -> None:
    """Recompute every F_k (k <= t) from the stages' current alphas and their records."""
    for s in ALL:
        f[s] = np.zeros_like(p.g[s])
    for st in stages:
        for s in ALL:
            f[s] = f[s] + st.record["alpha"] * st.y[s]
        st.record["val_accuracy"] = p.accuracy(f["val"], "val")
        st.record["test_accuracy"] = p.accuracy(f["test"], "test")
        st.record["val_residual"] = residual_norm(p.g["val"], f["val"])


def _joint_step(p: Problem, cfg: DistillConfig, stages: list[Stage], f: dict[str, np.ndarray],
                t: int, log: Callable[[str], None]) -> bool:
    """The joint corrective step (corrective.finetune_jointly) on the fit split, guarded on
    val; when kept (True), every stage's outputs and every prefix's record are recomputed."""
    fix = finetune_jointly(
        [x.model for x in stages], [[r["from_stage"] for r in x.record["inputs"][1:]]
                                    for x in stages],
        [x.record["alpha"] for x in stages], p.x[FIT], p.g[FIT], p.y[FIT], p.x["val"],
        p.g["val"], p.y["val"], cfg.temperature, cfg.ce_weight, cfg.mu, cfg.joint_epochs,
        cfg.joint_lr, cfg.solver.batch_size, cfg.solver.patience, cfg.seed * 7919 + 31 * t,
        cfg.monotone and cfg.line_search)
    accs = " / ".join(f"{100 * v:.1f}" for v in fix.val_accuracy_after)
    before = " / ".join(f"{100 * v:.1f}" for v in fix.val_accuracy_before)
    verdict = f"kept epoch {fix.best_epoch}" if fix.accepted else "not kept"
    log(f"round {t}: joint fine-tune {verdict} of {fix.epochs}: sum_k Phi(F_k) "
        f"{fix.objective_before:.4f} -> {fix.objective_after:.4f}, "
        f"val prefixes {before} -> {accs}%")
    if not fix.accepted:
        return False
    done: list[Stage] = []
    for st in stages:
        for s in ALL:
            st.y[s], st.feature[s] = predict(st.model,
                                             _inputs(p, done, st.record["inputs"][1:], s))
        done.append(st)
    _refresh_accuracies(p, stages, f)
    return True


def run_bdistil(p: Problem, teacher_macs: int, cfg: DistillConfig, out_dir: Path,
                log: Callable[[str], None] = print, resume_key: str = "",
                engine: Engine = INPROCESS) -> DistillResult:
    """Rounds of B-DISTIL into out_dir; resumes accepted stages saved under the same
    `resume_key` (default: the config hash). A band's candidates train side by side when the
    engine is parallel (each seeded on its own: the same students either way)."""
    import keras

    resume_key = resume_key or cfg.hash
    if cfg.objective not in OBJECTIVES:
        raise PedError(f"unknown objective '{cfg.objective}'", f"use one of {OBJECTIVES}")
    if cfg.edge not in ("normalised", "cosine"):
        raise PedError(f"unknown edge '{cfg.edge}'", "use normalised or cosine")
    if cfg.gain_on not in GAIN_ON:
        raise PedError(f"unknown gain_on '{cfg.gain_on}'", f"use one of {', '.join(GAIN_ON)}")
    if cfg.fresh_reads not in FRESH_VARIANTS:
        raise PedError(f"unknown fresh_reads '{cfg.fresh_reads}'",
                       f"use one of {', '.join(FRESH_VARIANTS)}")
    if not 0.0 < cfg.beta_min <= 1.0:
        raise PedError(f"beta_min {cfg.beta_min} is outside (0, 1]",
                       "a fresh stage scales F_{t-1} by beta in [beta_min, 1]; "
                       f"{DistillConfig.beta_min} is the default")
    if cfg.small_seeds < 1:
        raise PedError(f"small_seeds {cfg.small_seeds} is not a number of seeds",
                       "give 1 (one training per candidate, the default) or more (the best "
                       "on val of that many seeds, for candidates under small_macs MACs)")
    if cfg.monotone_z < 0:
        raise PedError(f"monotone_z {cfg.monotone_z} is negative",
                       "give 0 (the strict monotone test) or a z such as 1 (tolerate a val "
                       "loss within one standard error)")
    if cfg.min_z < 0:
        raise PedError(f"min_z {cfg.min_z} is negative",
                       "give 0 (no sign test) or a z such as 1 (one standard error)")
    board = load_board(cfg.target)
    k_max = min(cfg.stages, board.budget.max_stages)
    if k_max < cfg.stages:
        log(f"[yellow]{cfg.target} allows at most {k_max} stages; asked for {cfg.stages}[/]")
    kind, shape, n_cls = p.ds.meta["kind"], p.ds.input_shape, p.n_classes
    pool = make_pool(kind, shape, n_cls, teacher_macs, board, cfg.max_cost_fraction)
    if not pool:
        raise PedError(f"no candidate student under {cfg.max_cost_fraction:.0%} of the "
                       f"teacher's {teacher_macs:,} MACs", "raise max_cost_fraction")
    f = {s: np.zeros_like(p.g[s]) for s in ALL}
    stages: list[Stage] = []
    for rec in io.load_progress(out_dir, resume_key):  # resume
        model = keras.models.load_model(io.round_path(out_dir, rec["stage"]), compile=False)
        st = Stage(rec, model, {}, {})
        for s in ALL:
            st.y[s], st.feature[s] = predict(model, _inputs(p, stages, rec["inputs"][1:], s))
            f[s] = f[s] + rec["alpha"] * st.y[s]
        stages.append(st)
        log(f"round {rec['stage']}: resumed {rec['candidate']} (val acc "
            f"{100 * rec['val_accuracy']:.1f}%)")
    start = stages[-1].record["pool_index"] if stages else 0
    base_cycles = cost(Candidate(pool[0], shape, n_cls), board).cycles
    stop = f"{k_max} rounds"
    for t in range(len(stages) + 1, k_max + 1):
        if cfg.target_residual > 0 and residual_norm(p.g["val"], f["val"]) <= cfg.target_residual:
            stop = f"target residual {cfg.target_residual} reached"
            break
        r_fit = residuals(p.g[FIT], f[FIT])
        adv_val = adversary(residuals(p.g["val"], f["val"]), cfg.eta)
        w = None
        if cfg.objective == "residual_kd" and t > 1:
            w = (1 - cfg.focus) + cfg.focus * adversary(r_fit, cfg.eta).example_weights()
        reads: tuple[FeatureRef, ...] = ()
        if cfg.connections and t > 1:
            prev = stages[-1].record
            reads = (FeatureRef(t - 1, 1, tuple(prev["feature_shape"])),)
        read_desc = [{"role": "feature", "from_stage": r.from_stage, "from_output": r.from_output}
                     for r in reads]
        tr = {s: pack_targets(p.g[s], f[s], p.y[s], n_cls) for s in (FIT, "val")}
        # fresh variants (cfg.fresh, rounds >= 2): the same architecture trained on the teacher
        # alone, reading the previous map ("fresh") and/or nothing ("fresh-solo")
        variants = _variants(cfg, t)
        n_var = len(variants)
        tr0 = {s: pack_targets(p.g[s], np.zeros_like(f[s]), p.y[s], n_cls)
               for s in (FIT, "val")} if n_var > 1 else tr
        xs = {s: _inputs(p, stages, read_desc, s) for s in (FIT, "val")}
        xs_of = {v: {s: [p.x[s]] for s in (FIT, "val")} if v == SOLO else xs for v in variants}

        loss_args = (cfg.objective, n_cls, cfg.bound, cfg.temperature, cfg.ce_weight, cfg.mu,
                     cfg.eta, potential_scale(r_fit, cfg.eta))

        def job(c: Candidate, rep: int, t=t, tr=tr, tr0=tr0, w=w, n_var=n_var,
                loss_args=loss_args, variants=variants, xs_of=xs_of) -> FitJob:
            """rep = n_var * seed_rep + variant index into `variants` (residual first)."""
            idx = pool.index(c.arch)
            var, rep = variants[rep % n_var], rep // n_var
            fresh = var != "residual"
            tt, ww = (tr0, None) if fresh else (tr, w)
            xx = xs_of[var]
            if var == SOLO:
                c = dataclasses.replace(c, reads=())
            return FitJob(c, loss_args, xx[FIT], tt[FIT], ww, xx["val"], tt["val"], cfg.solver,
                          candidate_seed(cfg.seed, t, idx, rep, var))

        def score(rep: int, model, epochs: int, r_fit=r_fit, adv_val=adv_val,
                  n_var=n_var, variants=variants, xs_of=xs_of):
            """(edge, result) of a trained candidate: its line-searched alpha, gain, ..."""
            var = variants[rep % n_var]
            fresh = var != "residual"
            y_val, _ = predict(model, xs_of[var]["val"])
            gain, beta = None, 1.0
            if cfg.line_search:
                alpha, beta, gain = _alpha_and_gain(p, cfg, f["val"], y_val,
                                                    betas(cfg.beta_min) if fresh else (1.0,))
            elif cfg.objective == "residual_kd":
                alpha = cfg.bound
            else:
                y_fit, _ = predict(model, xs_of[var][FIT])
                alpha = line_search_alpha(r_fit, y_fit, cfg.bound, cfg.eta)
            step = alpha * y_val + (beta - 1.0) * f["val"]  # what the stage changes in F
            e = cosine_edge(adv_val, step if fresh else y_val) if cfg.edge == "cosine" else \
                edge(adv_val, step, cfg.bound)
            if gain is None:
                return e, (model, alpha, epochs)
            fb = flips(np.argmax(f["val"], 1), np.argmax(f["val"] + step, 1), p.y["val"])
            return e, (model, alpha, epochs, gain, p.accuracy(f["val"] + step, "val"), var,
                       beta, fb)

        def train_all(pairs: list[tuple[Candidate, int]], job=job, score=score):
            """[(edge, result)] of (candidate, rep) pairs trained side by side (engine)."""
            fitted = fit_all([job(c, rep) for c, rep in pairs], engine)
            return [score(rep, m, ep) for (_, rep), (m, ep) in zip(pairs, fitted, strict=True)]

        def train(c: Candidate, rep: int = 0, train_all=train_all):
            return train_all([(c, rep)])[0]

        def accepts(e: float, res) -> bool:
            if e < cfg.gamma:
                return False
            if len(res) < 4:
                return True
            return res[1] > 0 and res[3] >= cfg.min_gain and \
                (not cfg.monotone or not stages or tolerated(*res[7], cfg.monotone_z)) and \
                (cfg.min_z <= 0 or not stages or significant(*res[7], cfg.min_z))

        cands = sorted((Candidate(a, shape, n_cls, t, reads) for a in pool[start:]),
                       key=lambda c: (cost(c, board).cycles, pool.index(c.arch)))
        if stages and cfg.growth > 1.0:
            least = cfg.growth * stages[-1].record["cost"]["cycles"]
            cands = [c for c in cands if cost(c, board).cycles >= least]
        logger = lambda tr_, t=t: log(_describe(tr_, t, board.cost_unit))  # noqa: E731
        trial = None
        if cfg.bands > 1.0:
            every = sorted((Candidate(a, shape, n_cls, t, reads) for a in pool),
                           key=lambda c: (cost(c, board).cycles, pool.index(c.arch)))
            for b in (t, t + 1):  # the round's band, then the next one once
                lo, hi = band(b, base_cycles, cfg.bands)
                trial = find_wl_band(
                    every, board, lo, hi, train_all, accepts,
                    lambda e, res: res[3] if len(res) > 3 else e, cfg.per_band,
                    lambda rec, n_var=n_var: n_var * (cfg.small_seeds if rec.macs < cfg.small_macs
                                                      else 1), logger)
                if trial is not None:
                    break
        else:
            def train_first(c: Candidate):
                e, res = train(c)
                return (e if accepts(e, res) else min(e, cfg.gamma - 1.0)), res
            found = find_wl(cands, board, train, cfg.gamma, logger, cfg.max_tries,
                            cfg.escalate) if not cfg.line_search else \
                find_wl(cands, board, train_first, cfg.gamma, logger, cfg.max_tries,
                        cfg.escalate)
            trial = found[1] if found is not None else None
        if trial is None:
            stop = f"no weak learner in round {t}"
            break
        start = pool.index(trial.candidate.arch)
        model, alpha, epochs = trial.result[:3]
        beta = trial.result[6] if len(trial.result) > 6 else 1.0
        if len(trial.result) > 5 and trial.result[5] == SOLO:  # reads nothing
            read_desc = []
            trial.candidate = dataclasses.replace(trial.candidate, reads=())
            trial.cost = cost(trial.candidate, board)
        for x in stages:  # a fresh stage may shrink the earlier ones (same argmax per prefix)
            x.record["alpha"] *= beta
        st = Stage({}, model, {}, {})
        for s in ALL:
            st.y[s], st.feature[s] = predict(model, _inputs(p, stages, read_desc, s))
            f[s] = beta * f[s] + alpha * st.y[s]
        c = trial.candidate
        st.record = {
            "stage": t, "candidate": c.name, "architecture": c.arch.spec(),
            "pool_index": start, "cost": trial.cost.to_dict(),
            "inputs": [{"role": "x"}, *read_desc],
            "feature_shape": [int(d) for d in model.outputs[1].shape[1:]],
            "edge": trial.edge, "alpha": alpha, "epochs": epochs,
            "fit_to": trial.result[5] if len(trial.result) > 5 else "residual", "beta": beta,
            "val_gain": trial.result[3] if len(trial.result) > 3 else None,
            "val_fixed_broken": list(trial.result[7]) if len(trial.result) > 7 else None,
            "val_accuracy": p.accuracy(f["val"], "val"),
            "test_accuracy": p.accuracy(f["test"], "test"),
            "train_residual": residual_norm(p.g["train"], f["train"]),
            "val_residual": residual_norm(p.g["val"], f["val"]),
            "train_kl": distill_gap(p.g["train"], f["train"], cfg.temperature),
            "val_kl": distill_gap(p.g["val"], f["val"], cfg.temperature),
            "round_file": f"stage_{t:02d}.keras",
        }
        stages.append(st)
        moved = (cfg.joint_epochs > 0 and len(stages) > 1 and (cfg.joint_last or t < k_max)
                 and _joint_step(p, cfg, stages, f, t, log))
        if cfg.corrective and len(stages) > 1:
            fix = refit_alphas([x.y["val"] for x in stages], [x.record["alpha"] for x in stages],
                               p.g["val"], p.y["val"], cfg.bound, cfg.temperature,
                               cfg.ce_weight, cfg.monotone and cfg.line_search)
            verdict = "kept" if fix.accepted else (
                "no better weights" if fix.objective_after >= fix.objective_before
                else "rejected (a prefix would lose val accuracy)")
            log(f"round {t}: corrective step {verdict}: "
                f"sum_k Phi(F_k) {fix.objective_before:.4f} -> {fix.objective_after:.4f}, "
                f"alphas {', '.join(f'{a:.2f}' for a in fix.alphas)}")
            if fix.accepted:
                for x, a in zip(stages, fix.alphas, strict=True):
                    x.record["alpha"] = a
                _refresh_accuracies(p, stages, f)
        io.round_path(out_dir, t).parent.mkdir(parents=True, exist_ok=True)
        for x in stages if moved else [st]:  # the joint step moves earlier students too
            x.model.save(io.round_path(out_dir, x.record["stage"]))
        io.save_progress(out_dir, resume_key, [s.record for s in stages])
        log(f"round {t}: F_{t} val accuracy {100 * st.record['val_accuracy']:.1f}%, "
            f"residual {st.record['val_residual']:.3f}, alpha {st.record['alpha']:.2f}")
    return DistillResult(stages, f, stop, pool)
