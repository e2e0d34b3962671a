/*
 * ped/kernels/mean.h - int8 MEAN over some axes of a (up to) 4-D tensor, as TFLM's
 * reference QuantizedMeanOrSum (integer only):
 *   out = clamp(mbqm(sum - input_zp * count, multiplier, shift) + output_zp)
 * where codegen folds 1/count into (multiplier, shift) exactly as TFLM does at Eval.
 * Keras GlobalAveragePooling1D/2D arrive here.
 */
#ifndef PED_KERNELS_MEAN_H
#define PED_KERNELS_MEAN_H

#include <stdint.h>

typedef struct {
    int32_t dims[4];               /* input shape, left-padded with 1 */
    int32_t reduce[4];             /* 1 where the axis is reduced */
    int32_t count;                 /* elements summed per output */
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;     /* in_scale / (out_scale * count) */
} ped_mean_params_t;

void ped_mean(const ped_mean_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_MEAN_H */
