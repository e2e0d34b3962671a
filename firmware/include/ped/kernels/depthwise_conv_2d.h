/*
 * ped/kernels/depthwise_conv_2d.h - int8 DEPTHWISE_CONV_2D, per-channel requantisation
 * (TFLM DepthwiseConvPerChannel). Batch 1, NHWC; filter [k_h][k_w][out_c] with
 * out_c = in_c * depth_multiplier, output channel c = ic * depth_multiplier + m.
 * `bias` has the input zero point folded in (bias - zp * sum of the channel's filter), so a
 * tap outside the input contributes exactly what TFLM skips when it reads the value zp.
 *
 * ped_depthwise_conv_2d (depth multiplier 1): per output pixel the byte offsets of its taps
 * (one table for interior pixels, computed once, and one rebuilt for each border pixel),
 * then 4 channels at a time with the accumulators in registers, the requantisation inlined;
 * DSP cores load 4 channels per word and widen them with SXTB16. Its weights are
 * `filter_packed`, widened to int16 at codegen in the loop's order: per quad of channels
 * (the last padded with zeros), per tap, the weights of channels c, c+2, c+1, c+3 (so
 * that, read as two little-endian words, they are the lanes SXTB16 gives the input):
 * [ceil(in_c/4)][k_h*k_w][4] int16, 8-byte aligned (DSP cores read each tap's 4 with one
 * LDRD; codegen's arrays are 16-byte aligned); `requant` holds one record per channel. Taps
 * outside the input read a pad row of in_c zero points. The offset tables and the pad row
 * live in `scratch` (PED_DEPTHWISE_SCRATCH_BYTES, planned in the arena by codegen; the
 * kernel fills them).
 * ped_depthwise_conv_2d_mult: any depth multiplier, `filter` as in the model, no scratch.
 */
#ifndef PED_KERNELS_DEPTHWISE_CONV_2D_H
#define PED_KERNELS_DEPTHWISE_CONV_2D_H

#include <stdint.h>

#include "ped/kernels/quant_math.h"

/* two tables of tap offsets (uintptr_t: 8 bytes on 64-bit hosts) */
#define PED_DEPTHWISE_TAP_TABLE_BYTES(k_h, k_w) (2u * 8u * (uint32_t)(k_h) * (uint32_t)(k_w))
#define PED_DEPTHWISE_SCRATCH_BYTES(k_h, k_w, in_c) \
    (PED_DEPTHWISE_TAP_TABLE_BYTES(k_h, k_w) + (((uint32_t)(in_c) + 3u) & ~3u))

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c, depth_multiplier;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t input_offset, output_offset, act_min, act_max;
    const int8_t *filter;          /* _mult: [k_h][k_w][out_c] as in the model */
    const int16_t *filter_packed;  /* multiplier 1: see above */
    const int32_t *bias;           /* out_c values: bias_eff */
    const int32_t *multiplier;     /* _mult: out_c values */
    const int32_t *shift;          /* _mult: out_c values */
    const ped_requant_t *requant;  /* multiplier 1: out_c records */
} ped_depthwise_conv_2d_params_t;

void ped_depthwise_conv_2d(const ped_depthwise_conv_2d_params_t *p, const int8_t *input,
                           int8_t *output, void *scratch);

void ped_depthwise_conv_2d_mult(const ped_depthwise_conv_2d_params_t *p, const int8_t *input,
                                int8_t *output);

#endif /* PED_KERNELS_DEPTHWISE_CONV_2D_H */
