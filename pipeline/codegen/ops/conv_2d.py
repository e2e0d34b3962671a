"""CONV_2D -> `ped_conv_2d` (groups 1: packed filter, im2col scratch in the arena) or
`ped_conv_2d_grouped` (also Keras Conv1D, which TFLite expresses as a 1xK CONV_2D)."""

from __future__ import annotations

import numpy as np

from pipeline.codegen.ir import ArrayRef, CArray, Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.reader import Model, Operator


def lower(model: Model, op: Operator) -> Kernel:
    o = op.options
    inp = c.activation(model, op, 0, rank=4)
    filt = c.constant(model, op, 1, "int8")
    bias = c.constant(model, op, 2, "int32")
    out = c.output(model, op, 0, rank=4)
    if filt is None or len(filt.shape) != 4:
        c.fail(model, op, "filter must be a constant int8 [out_c, k_h, k_w, in_c] tensor")
    _, in_h, in_w, in_c = inp.shape
    _, out_h, out_w, out_c = out.shape
    f_oc, k_h, k_w, f_ic = filt.shape
    if f_oc != out_c or in_c % f_ic != 0 or out_c % (in_c // f_ic) != 0:
        c.fail(model, op, f"filter {filt.shape} does not fit input {inp.shape} / output "
                          f"{out.shape}")
    if bias is not None and bias.size != out_c:
        c.fail(model, op, f"bias has {bias.size} values for {out_c} channels")
    pad_h = c.padding(model, op, o.padding, o.strideH, o.dilationHFactor, in_h, k_h, out_h)
    pad_w = c.padding(model, op, o.padding, o.strideW, o.dilationWFactor, in_w, k_w, out_w)
    lo, hi = c.act_range(model, op, o.fusedActivationFunction, out)
    mults, shifts = c.channel_multipliers(model, op, inp, filt, out, out_c)
    groups = in_c // f_ic
    ksize = k_h * k_w * f_ic
    if groups == 1:
        # packed for ped_conv_2d: each channel's taps in order, zero-padded to a multiple of 4
        col_len = -(-ksize // 4) * 4
        c.check_requant_range(model, op, bias, filt.data.reshape(out_c, ksize),
                              inp.zero_point, shifts)
        packed = c.pack_groups(filt.data.reshape(out_c, ksize), col_len, 2)
    else:
        col_len, packed = ksize, filt.data
    fields = (
        ("in_h", Int(in_h)), ("in_w", Int(in_w)), ("in_c", Int(in_c)),
        ("out_h", Int(out_h)), ("out_w", Int(out_w)), ("out_c", Int(out_c)),
        ("k_h", Int(k_h)), ("k_w", Int(k_w)), ("groups", Int(groups)),
        ("stride_h", Int(o.strideH)), ("stride_w", Int(o.strideW)),
        ("dil_h", Int(o.dilationHFactor)), ("dil_w", Int(o.dilationWFactor)),
        ("pad_h", Int(pad_h)), ("pad_w", Int(pad_w)),
        ("input_offset", Int(-inp.zero_point)), ("output_offset", Int(out.zero_point)),
        ("act_min", Int(lo)), ("act_max", Int(hi)), ("col_len", Int(col_len)),
        ("filter", ArrayRef(CArray("filter", "int8_t", c.ints(packed)))),
        ("bias", ArrayRef(None if groups == 1 else CArray(
            "bias", "int32_t", c.ints(bias.data) if bias is not None else (0,) * out_c))),
        ("bias_eff", ArrayRef(CArray("bias_eff", "int32_t", c.folded_bias(
            model, op, bias, filt.data.astype(np.int64).sum(axis=(1, 2, 3)),
            inp.zero_point)))),
        ("multiplier", ArrayRef(None if groups == 1 else CArray("multiplier", "int32_t", mults))),
        ("shift", ArrayRef(None if groups == 1 else CArray("shift", "int32_t", shifts))),
        ("requant", ArrayRef(None if groups > 1 else CArray(
            "requant", "ped_requant_t", c.requant_records(mults, shifts, out_c)))),
    )
    macs = out_h * out_w * out_c * k_h * k_w * f_ic
    if groups > 1:
        return Kernel("conv_2d_grouped", "ped_conv_2d_params_t", fields, (inp.index,),
                      (out.index,), op.index, macs)
    # scratch: two int8 columns (PED_CONV_2D_SCRATCH_BYTES in ped/kernels/conv_2d.h)
    return Kernel("conv_2d", "ped_conv_2d_params_t", fields, (inp.index,), (out.index,),
                  op.index, macs, scratch_bytes=2 * col_len)
