"""DEPTHWISE_CONV_2D -> `ped_depthwise_conv_2d` (multiplier 1, a pad row in the arena) or
`ped_depthwise_conv_2d_mult` (also Keras DepthwiseConv1D)."""

from __future__ import annotations

import numpy as np

from pipeline.codegen.ir import ArrayRef, CArray, Int, Kernel
from pipeline.codegen.ops import common as c
from pipeline.codegen.reader import Model, Operator


def pack_quads(filt: np.ndarray) -> np.ndarray:
    """[1, k_h, k_w, ch] int8 weights -> ped_depthwise_conv_2d's `filter_packed`
    (ped/kernels/depthwise_conv_2d.h): int16, per quad of channels c..c+3 (the last padded
    with zeros), per tap, the weights of channels c, c+2, c+1, c+3."""
    _, k_h, k_w, ch = filt.shape
    taps = np.zeros((k_h * k_w, -(-ch // 4) * 4), dtype=np.int64)
    taps[:, :ch] = filt.reshape(k_h * k_w, ch)
    q = taps.reshape(k_h * k_w, -1, 4).transpose(1, 0, 2)          # [quad][tap][4]
    return q[..., [0, 2, 1, 3]].reshape(-1)


def lower(model: Model, op: Operator) -> Kernel:
    o = op.options
    inp = c.activation(model, op, 0, rank=4)
    filt = c.constant(model, op, 1, "int8")
    bias = c.constant(model, op, 2, "int32")
    out = c.output(model, op, 0, rank=4)
    if filt is None or len(filt.shape) != 4 or filt.shape[0] != 1:
        c.fail(model, op, "filter must be a constant int8 [1, k_h, k_w, out_c] tensor")
    _, in_h, in_w, in_c = inp.shape
    _, out_h, out_w, out_c = out.shape
    _, k_h, k_w, f_oc = filt.shape
    if f_oc != out_c or out_c % in_c != 0:
        c.fail(model, op, f"filter {filt.shape} does not fit input {inp.shape} / output "
                          f"{out.shape}")
    mult = out_c // in_c
    if o.depthMultiplier not in (0, mult):
        c.fail(model, op, f"depth_multiplier {o.depthMultiplier} != out_c / in_c = {mult}")
    if bias is not None and bias.size != out_c:
        c.fail(model, op, f"bias has {bias.size} values for {out_c} channels")
    pad_h = c.padding(model, op, o.padding, o.strideH, o.dilationHFactor, in_h, k_h, out_h)
    pad_w = c.padding(model, op, o.padding, o.strideW, o.dilationWFactor, in_w, k_w, out_w)
    lo, hi = c.act_range(model, op, o.fusedActivationFunction, out)
    mults, shifts = c.channel_multipliers(model, op, inp, filt, out, out_c)
    if mult == 1:
        c.check_requant_range(model, op, bias, filt.data.reshape(k_h * k_w, out_c).T,
                              inp.zero_point, shifts)
    fields = (
        ("in_h", Int(in_h)), ("in_w", Int(in_w)), ("in_c", Int(in_c)),
        ("out_h", Int(out_h)), ("out_w", Int(out_w)), ("out_c", Int(out_c)),
        ("depth_multiplier", Int(mult)), ("k_h", Int(k_h)), ("k_w", Int(k_w)),
        ("stride_h", Int(o.strideH)), ("stride_w", Int(o.strideW)),
        ("dil_h", Int(o.dilationHFactor)), ("dil_w", Int(o.dilationWFactor)),
        ("pad_h", Int(pad_h)), ("pad_w", Int(pad_w)),
        ("input_offset", Int(-inp.zero_point)), ("output_offset", Int(out.zero_point)),
        ("act_min", Int(lo)), ("act_max", Int(hi)),
        ("filter", ArrayRef(CArray("filter", "int8_t", c.ints(filt.data)) if mult != 1
                            else None)),
        ("filter_packed", ArrayRef(CArray("filter_packed", "int16_t",
                                          c.ints(pack_quads(filt.data))) if mult == 1
                                   else None)),
        ("bias", ArrayRef(CArray("bias", "int32_t", c.folded_bias(
            model, op, bias, filt.data.astype(np.int64).sum(axis=(0, 1, 2)), inp.zero_point)))),
        ("multiplier", ArrayRef(CArray("multiplier", "int32_t", mults) if mult != 1
                                else None)),
        ("shift", ArrayRef(CArray("shift", "int32_t", shifts) if mult != 1 else None)),
        ("requant", ArrayRef(CArray("requant", "ped_requant_t", c.requant_records(mults, shifts,
                                                                            out_c))
                             if mult == 1 else None)),
    )
    macs = out_h * out_w * out_c * k_h * k_w
    if mult != 1:
        return Kernel("depthwise_conv_2d_mult", "ped_depthwise_conv_2d_params_t", fields,
                      (inp.index,), (out.index,), op.index, macs)
    # scratch: two tap-offset tables and a pad row of zero points
    # (PED_DEPTHWISE_SCRATCH_BYTES in ped/kernels/depthwise_conv_2d.h)
    return Kernel("depthwise_conv_2d", "ped_depthwise_conv_2d_params_t", fields, (inp.index,),
                  (out.index,), op.index, macs,
                  scratch_bytes=2 * 8 * k_h * k_w + -(-in_c // 4) * 4)
