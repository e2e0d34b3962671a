/*
 * ped/kernels/mean.h - int8 MEAN over some axes of a (up to) 4-D tensor (TFLM reference).
 *
 * TFLM has two int8 paths and so do we, chosen at codegen:
 *  - same scale and zero point in and out: integer sum, then C division (truncation);
 *  - otherwise: float, exactly as TFLM: mean = (float)sum / (float)count,
 *    q = round(mean * scale + bias) + output_zp (round half away from zero), clamped,
 *    with scale = in_scale / out_scale and bias = -in_zp * scale computed in float32 by
 *    codegen. This path needs float arithmetic (soft-float on cores without an FPU).
 */
#ifndef PED_KERNELS_MEAN_H
#define PED_KERNELS_MEAN_H

#include <stdint.h>

typedef struct {
    int32_t dims[4];               /* input shape, left-padded with 1 */
    int32_t reduce[4];             /* 1 where the axis is reduced */
    int32_t use_float;             /* 0: integer path, 1: float requantisation path */
    float scale, bias;             /* float path only */
    int32_t output_zero_point;     /* float path only */
} ped_mean_params_t;

void ped_mean(const ped_mean_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_MEAN_H */
