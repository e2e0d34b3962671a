/*
 * ped/kernels/conv_2d.h - int8 CONV_2D, per-channel requantisation (TFLM ConvPerChannel).
 *
 * Layout NHWC with batch 1: input [in_h][in_w][in_c], output [out_h][out_w][out_c]. Keras
 * Conv1D arrives here as a CONV_2D with in_h = k_h = 1. TFLM computes acc = bias + sum over
 * the taps inside the input of f * (x - zp). Everything is validated at codegen; the kernels
 * only assert.
 *
 * ped_conv_2d (groups == 1, any stride/dilation/padding): per pair of output pixels it takes
 * each pixel's taps in filter order (k_h, k_w, in_c) as int8: straight from the input when
 * they are one contiguous run inside it (1xK filters, so Conv1D, away from the borders), else
 * copied ("im2col") into `scratch` with the input zero point outside the input
 * (PED_CONV_2D_SCRATCH_BYTES(col_len) bytes, planned in the arena by codegen). `bias_eff`
 * = bias - zp * sum of the channel's filter makes those zp taps contribute exactly what
 * TFLM skips. Then 2 output channels x 2 pixels per pass over the packed filter, which codegen
 * laid out in the inner loop's order: channel pairs (an odd last channel paired with zeros),
 * and within a pair, for every 4 taps (zero-padded to col_len, a multiple of 4) 4 weights of
 * the first channel then 4 of the second: [ceil(out_c/2)][col_len/4][2][4]. DSP cores:
 * SXTB16 + SMLAD, two MACs per instruction; others: the same blocking in plain C.
 * Requantisation is inlined (`requant`, one record per channel).
 *
 * ped_conv_2d_grouped (groups > 1): filter [out_c][k_h][k_w][in_c / groups] unpadded, and
 * `bias_eff` = bias - zp * sum of the channel's filter (interior outputs are plain dot
 * products); no scratch.
 */
#ifndef PED_KERNELS_CONV_2D_H
#define PED_KERNELS_CONV_2D_H

#include <stdint.h>

#include "ped/kernels/quant_math.h"

#define PED_CONV_2D_SCRATCH_BYTES(col_len) (2u * (uint32_t)(col_len))

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w, groups;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t input_offset;          /* -input zero point (the pad value is -input_offset) */
    int32_t output_offset;         /* output zero point */
    int32_t act_min, act_max;      /* fused activation, in output units */
    int32_t col_len;               /* ped_conv_2d: filter row length (k_h*k_w*in_c rounded up to 4) */
    const int8_t *filter;
    const int32_t *bias;           /* grouped only: the model's bias (zeros when none) */
    const int32_t *bias_eff;       /* out_c values: bias - zp * sum of the channel's filter */
    const int32_t *multiplier;     /* grouped only: out_c values */
    const int32_t *shift;          /* grouped only: out_c values */
    const ped_requant_t *requant;  /* ped_conv_2d: out_c records (ped/kernels/quant_math.h) */
} ped_conv_2d_params_t;

void ped_conv_2d(const ped_conv_2d_params_t *p, const int8_t *input, int8_t *output,
                 void *scratch);

void ped_conv_2d_grouped(const ped_conv_2d_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_CONV_2D_H */
