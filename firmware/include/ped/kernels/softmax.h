/*
 * ped/kernels/softmax.h - int8 SOFTMAX over the last axis (TFLM reference int8 Softmax):
 * gemmlowp fixed-point exp of (x - max) scaled to Q5.26, Q12.19 sum, fixed-point reciprocal.
 * Output scale 1/256, zero point -128 (checked at codegen).
 */
#ifndef PED_KERNELS_SOFTMAX_H
#define PED_KERNELS_SOFTMAX_H

#include <stdint.h>

typedef struct {
    int32_t outer, depth;
    int32_t input_multiplier, input_left_shift, diff_min;
} ped_softmax_params_t;

void ped_softmax(const ped_softmax_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_SOFTMAX_H */
