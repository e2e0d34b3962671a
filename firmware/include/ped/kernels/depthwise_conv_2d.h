/*
 * ped/kernels/depthwise_conv_2d.h - int8 DEPTHWISE_CONV_2D, per-channel requantisation
 * (TFLM DepthwiseConvPerChannel). Batch 1, NHWC; filter [k_h][k_w][out_c] with
 * out_c = in_c * depth_multiplier, output channel c = ic * depth_multiplier + m.
 * `bias` has the input zero point folded in, as in conv_2d.h.
 */
#ifndef PED_KERNELS_DEPTHWISE_CONV_2D_H
#define PED_KERNELS_DEPTHWISE_CONV_2D_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c, depth_multiplier;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t input_offset, output_offset, act_min, act_max;
    const int8_t *filter;
    const int32_t *bias;           /* out_c values: bias_eff */
    const int32_t *multiplier;
    const int32_t *shift;
} ped_depthwise_conv_2d_params_t;

void ped_depthwise_conv_2d(const ped_depthwise_conv_2d_params_t *p, const int8_t *input,
                           int8_t *output);

#endif /* PED_KERNELS_DEPTHWISE_CONV_2D_H */
