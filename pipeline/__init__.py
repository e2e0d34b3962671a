"""ped: progressive ensemble distillation (B-DISTIL) deployed to microcontrollers.

The package follows the data flow, one module per step:

    recipe -> data -> teacher -> distill -> quantize -> codegen -> build -> hil -> report

No module imports from a module later in that chain. `pipeline.cli` wires the steps into the
`ped` command; `pipeline.manifest` records what each step consumed and produced.
"""

__version__ = "0.1.0"
