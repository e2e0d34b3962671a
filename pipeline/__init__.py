"""ped: progressive ensemble distillation (B-DISTIL) deployed to microcontrollers.

The package follows the data flow, one module per step:

    recipe -> data -> teacher -> distill -> quantize -> codegen -> build -> hil -> report

No module imports from a module later in that chain. `pipeline.cli` wires the steps into the
`ped` command; `pipeline.manifest` records what each step consumed and produced.

Importing the package pins TensorFlow to one thread per process (intra- and inter-op; TF reads
these variables when its runtime starts, so this must come before the first TF op).
Parallel work goes through the engine instead (`pipeline.engine`: one CPU per Ray task, where
TF's default of one thread per core would oversubscribe the machine), and a seed gives the
same weights whatever the machine's core count: the order of a float reduction depends on how
many threads share it. Set either variable before starting `ped` to override.
"""

import os

__version__ = "0.1.0"

TF_THREADS = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
for _name, _value in TF_THREADS.items():
    os.environ.setdefault(_name, _value)
