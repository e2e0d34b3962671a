/*
 * ped/kernels/average_pool_2d.h - int8 AVERAGE_POOL_2D (TFLM reference integer AveragePool).
 * Batch 1, NHWC. Only taps inside the input count; the sum is divided by their number,
 * rounding half away from zero. Input and output share scale and zero point (checked at
 * codegen), so there is no requantisation.
 */
#ifndef PED_KERNELS_AVERAGE_POOL_2D_H
#define PED_KERNELS_AVERAGE_POOL_2D_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, channels, out_h, out_w;
    int32_t k_h, k_w, stride_h, stride_w, pad_h, pad_w;
    int32_t act_min, act_max;
} ped_pool_2d_params_t;

void ped_average_pool_2d(const ped_pool_2d_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_AVERAGE_POOL_2D_H */
