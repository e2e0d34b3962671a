"""B-DISTIL: distil a teacher into an ordered ensemble of tiny students (docs/distill.md).

Modules, one concept each:
- game.py       residuals, the adversary's K+/K- (multiplicative weights), the edge;
- objective.py  weak-learner losses (residual_kd, game) with the log-barrier of the bound;
- pool.py       candidate architectures per input kind, the student's Keras model, wiring;
- cost.py       cost records on a target board (MACs, flash, RAM, cycles) and the budget;
- solver.py     minibatch Adam that fits one candidate (seeded, early stopping);
- findwl.py     FIND-WL: cheapest candidate in budget that is a weak learner;
- bdistil.py    the rounds, resume, per-stage records;
- baselines.py  RESCHED and NO-RESCHED;
- ensemble.py   artifact I/O (stage files, progress, ensemble.json, plot);
- run.py        `ped distill` end to end.
"""
