"""FULLY_CONNECTED -> `ped_fully_connected` (Keras Dense)."""

from __future__ import annotations

import numpy as np

from pipeline.codegen.ir import ArrayRef, CArray, Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.reader import Model, Operator


def lower(model: Model, op: Operator) -> Kernel:
    o = op.options
    inp = c.activation(model, op, 0)
    filt = c.constant(model, op, 1, "int8")
    bias = c.constant(model, op, 2, "int32")
    out = c.output(model, op, 0)
    if filt is None or len(filt.shape) != 2:
        c.fail(model, op, "weights must be a constant int8 [units, depth] tensor")
    if o is not None and o.weightsFormat != 0:
        c.fail(model, op, "only the default (unshuffled) weights format is supported")
    units, depth = filt.shape
    if inp.size % depth != 0 or out.size != (inp.size // depth) * units:
        c.fail(model, op, f"weights {filt.shape} do not fit input {inp.shape} / output "
                          f"{out.shape}")
    if bias is not None and bias.size != units:
        c.fail(model, op, f"bias has {bias.size} values for {units} units")
    per_channel = len(filt.scales) == units and units > 1
    n = units if per_channel else 1
    if len(filt.scales) not in (1, units):
        c.fail(model, op, f"weights have {len(filt.scales)} scales for {units} units")
    mults, shifts = c.channel_multipliers(model, op, inp, filt, out, n)
    c.check_requant_range(model, op, bias, filt.data.reshape(units, depth), inp.zero_point,
                          shifts)
    fused = o.fusedActivationFunction if o is not None else 0
    lo, hi = c.act_range(model, op, fused, out)
    batches = inp.size // depth
    row_len = -(-depth // 4) * 4  # rows zero-padded to whole words for the kernel
    rows = filt.data.reshape(units, depth)
    quads = (units + 1) // 4  # groups of 4; 1-2 units left over make a group of 2
    padded = 4 * quads + (2 if units > 4 * quads else 0)
    packed = np.concatenate([c.pack_groups(rows[:4 * quads], row_len, 4),
                             c.pack_groups(rows[4 * quads:], row_len, 2)])
    pad = padded - units
    fields = (
        ("batches", Int(batches)), ("depth", Int(depth)), ("units", Int(units)),
        ("output_offset", Int(out.zero_point)), ("act_min", Int(lo)), ("act_max", Int(hi)),
        ("row_len", Int(row_len)),
        ("filter", ArrayRef(CArray("filter", "int8_t", c.ints(packed)))),
        ("bias", ArrayRef(CArray("bias", "int32_t", c.folded_bias(
            model, op, bias, filt.data.astype(np.int64).sum(axis=1), inp.zero_point)
            + (0,) * pad))),
        ("requant", ArrayRef(CArray("requant", "ped_requant_t",
                                    c.requant_records(mults, shifts, units) + (0,) * 5 * pad))),
    )
    return Kernel("fully_connected", "ped_fully_connected_params_t", fields, (inp.index,),
                  (out.index,), op.index, batches * units * depth)
