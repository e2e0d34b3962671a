/*
 * ped/kernels/conv_2d.h - int8 CONV_2D, per-channel requantisation (TFLM ConvPerChannel).
 *
 * Layout NHWC with batch 1: input [in_h][in_w][in_c], filter [out_c][k_h][k_w][in_c / groups],
 * output [out_h][out_w][out_c]. Keras Conv1D arrives here as a CONV_2D with in_h = k_h = 1.
 * TFLM computes acc = bias + sum over taps inside the input of f * (x - zp). Codegen also
 * folds the zero point into `bias_eff` = bias - zp * sum of all f, so outputs whose taps are
 * all inside the input are plain int8 dot products; border outputs use TFLM's form.
 * Everything is validated at codegen; the kernel only asserts.
 */
#ifndef PED_KERNELS_CONV_2D_H
#define PED_KERNELS_CONV_2D_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w, groups;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t input_offset;          /* -input zero point (the pad value is -input_offset) */
    int32_t output_offset;         /* output zero point */
    int32_t act_min, act_max;      /* fused activation, in output units */
    const int8_t *filter;
    const int32_t *bias;           /* out_c values: the model's bias (zeros when none) */
    const int32_t *bias_eff;       /* out_c values: bias - zp * sum of the channel's filter */
    const int32_t *multiplier;     /* out_c values */
    const int32_t *shift;          /* out_c values */
} ped_conv_2d_params_t;

void ped_conv_2d(const ped_conv_2d_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_CONV_2D_H */
